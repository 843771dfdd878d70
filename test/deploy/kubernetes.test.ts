// The Kubernetes manifests: every object validated against the Kubernetes
// OpenAPI schemas (kubernetes-models) or its CRD's schema (KEDA, Prometheus
// Operator), then the cross-object rules a schema cannot see: selectors that
// select, probes on endpoints the service really serves, KEDA capped at the
// partition count, and the ConfigMap's config.json accepted by the service's
// own config parser.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@elastic/elasticsearch'
import { Registry } from 'prom-client'
import * as core from 'kubernetes-models/v1'
import * as apps from 'kubernetes-models/apps/v1'
import * as policy from 'kubernetes-models/policy/v1'
import * as keda from '@kubernetes-models/keda/keda.sh/v1alpha1'
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { API_ENV_VARS, API_ROUTES, createApiServer, parseApiConfig } from '../../src/api/index.js'
import { ENV_VARS, loadConfig, parseConfig } from '../../src/config/index.js'
import { startMetricsServer } from '../../src/metrics/index.js'
import { ROOT, get, loadYaml, loadYamlDocuments, repoPath, requireTool, run, type YamlObject } from './helpers.js'

type Validator = new (data: never) => { validate (): void }

const VALIDATORS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object.freeze({
  v1: core,
  'apps/v1': apps,
  'policy/v1': policy,
  'keda.sh/v1alpha1': keda,
  'monitoring.coreos.com/v1': monitoring
})

const DIR = repoPath('deploy/kubernetes')
const FILES = readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').sort()

interface Manifest { file: string, doc: YamlObject }

function manifests (): Manifest[] {
  return FILES.flatMap((file) => loadYamlDocuments(`${DIR}/${file}`).map((doc) => ({ file, doc })))
}

function find (kind: string, name: string, file?: string): YamlObject {
  const found = manifests().filter(({ doc, file: f }) => doc.kind === kind && get(doc, 'metadata', 'name') === name && (file === undefined || f === file))
  assert.equal(found.length > 0, true, `${kind}/${name} not found${file === undefined ? '' : ` in ${file}`}`)
  return (found[0] as Manifest).doc
}

function container (deployment: YamlObject): YamlObject {
  const containers = get(deployment, 'spec', 'template', 'spec', 'containers') as YamlObject[]
  assert.equal(containers.length, 1)
  return containers[0] as YamlObject
}

function matches (selector: unknown, labels: unknown): boolean {
  const wanted = Object.entries((selector ?? {}) as Record<string, string>)
  return wanted.length > 0 && wanted.every(([k, v]) => (labels as Record<string, string>)[k] === v)
}

const processorConfig = (): ReturnType<typeof parseConfig> => {
  const configMap = find('ConfigMap', 'groundstream-config')
  return parseConfig(JSON.parse(get(configMap, 'data', 'config.json') as string))
}

test('every manifest validates against its Kubernetes or CRD schema', () => {
  const all = manifests()
  assert.ok(all.length >= 10, `expected the full set of objects, found ${all.length}`)
  for (const { file, doc } of all) {
    const group = VALIDATORS[doc.apiVersion as string]
    assert.ok(group !== undefined, `${file}: no schema for apiVersion ${String(doc.apiVersion)}`)
    const Model = group[doc.kind as string] as Validator | undefined
    assert.ok(Model !== undefined, `${file}: no schema for ${String(doc.apiVersion)} ${String(doc.kind)}`)
    assert.doesNotThrow(() => { new Model(doc as never).validate() }, `${file}: ${String(doc.kind)} ${String(get(doc, 'metadata', 'name'))}`)
    assert.equal(get(doc, 'metadata', 'namespace') ?? 'groundstream', 'groundstream', `${file}: namespace`)
  }
})

test('core objects pass strict validation (no unknown or misspelt fields) with kubernetes-validate', (t) => {
  const tool = requireTool(t, 'kubernetes-validate', [repoPath('.cache/ops-venv/bin/kubernetes-validate')])
  if (tool === null) return
  const files = FILES.map((file) => `deploy/kubernetes/${file}`)
  const result = run(tool, ['--strict', '--kubernetes-version', '1.30', ...files])
  assert.equal(result.status, 0, result.output)
  // Custom resources have no schema there; the kubernetes-models test above covers them.
  const passed = result.output.match(/ passed for resource /gu)?.length ?? 0
  assert.equal(passed, manifests().filter(({ doc }) => !['keda.sh/v1alpha1', 'monitoring.coreos.com/v1'].includes(doc.apiVersion as string)).length, result.output)
  // And it is live: a misspelt probe field fails.
  const dir = mkdtempSync(join(tmpdir(), 'gs-k8s-'))
  try {
    const misspelt = readFileSync(repoPath('deploy/kubernetes/deployment-api.yaml'), 'utf8').replace('livenessProbe:', 'livenesProbe:')
    writeFileSync(join(dir, 'broken.yaml'), misspelt)
    const broken = run(tool, ['--strict', '--kubernetes-version', '1.30', join(dir, 'broken.yaml')])
    assert.notEqual(broken.status, 0)
    assert.match(broken.output, /livenesProbe/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the schema validation rejects a broken object (the validator is live)', () => {
  const deployment = structuredClone(find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')) as YamlObject
  ;(container(deployment).ports as YamlObject[])[0] = { containerPort: 'nine' }
  assert.throws(() => { new apps.Deployment(deployment as never).validate() }, /containerPort must be integer/)
})

test('kustomization lists files that exist, and both processor variants are complete', () => {
  const kustomization = loadYaml(`${DIR}/kustomization.yaml`)
  for (const resource of kustomization.resources as string[]) assert.ok(FILES.includes(resource), `${resource} missing`)
  const cpu = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const gpu = find('Deployment', 'groundstream-processor', 'deployment-gpu.yaml')
  const gpuResources = get(container(gpu), 'resources') as YamlObject
  assert.equal(get(gpuResources, 'requests', 'nvidia.com/gpu'), '1')
  assert.equal(get(gpuResources, 'limits', 'nvidia.com/gpu'), '1')
  assert.equal(get(container(cpu), 'resources', 'requests', 'nvidia.com/gpu'), undefined)
  const provider = (d: YamlObject): unknown => (container(d).env as YamlObject[]).find((e) => e.name === 'GS_EXECUTION_PROVIDER')?.value
  assert.equal(provider(gpu), 'cuda')
  assert.equal(provider(cpu), 'cpu')
  assert.ok((get(gpu, 'spec', 'template', 'spec', 'tolerations') as YamlObject[]).some((t) => t.key === 'nvidia.com/gpu'))
  // Same selector, so the ScaledObject, PDB and metrics Service fit either variant.
  assert.deepEqual(get(cpu, 'spec', 'selector'), get(gpu, 'spec', 'selector'))
})

test('selectors of Services, PDBs and the ScaledObject select the pods they mean', () => {
  const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const api = find('Deployment', 'groundstream-api')
  const podLabels = (d: YamlObject): unknown => get(d, 'spec', 'template', 'metadata', 'labels')
  for (const d of [processor, api]) assert.ok(matches(get(d, 'spec', 'selector', 'matchLabels'), podLabels(d)))
  assert.ok(matches(get(find('Service', 'groundstream-api'), 'spec', 'selector'), podLabels(api)))
  assert.ok(!matches(get(find('Service', 'groundstream-api'), 'spec', 'selector'), podLabels(processor)))
  assert.ok(matches(get(find('Service', 'groundstream-processor-metrics'), 'spec', 'selector'), podLabels(processor)))
  assert.ok(matches(get(find('PodDisruptionBudget', 'groundstream-processor'), 'spec', 'selector', 'matchLabels'), podLabels(processor)))
  assert.ok(matches(get(find('PodDisruptionBudget', 'groundstream-api'), 'spec', 'selector', 'matchLabels'), podLabels(api)))
  // Named target ports exist on the pods.
  const portNames = (d: YamlObject): unknown[] => (container(d).ports as YamlObject[]).map((p) => p.name)
  assert.ok(portNames(api).includes(get(find('Service', 'groundstream-api'), 'spec', 'ports', 0, 'targetPort')))
  assert.ok(portNames(processor).includes(get(find('Service', 'groundstream-processor-metrics'), 'spec', 'ports', 0, 'targetPort')))
})

test('config.json in the ConfigMap is accepted by the service config parser', () => {
  const config = processorConfig()
  assert.equal(config.metrics.host, '0.0.0.0', 'metrics must listen beyond loopback for Prometheus and probes')
  const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const metricsPort = (container(processor).ports as YamlObject[]).find((p) => p.name === 'metrics')?.containerPort
  assert.equal(config.metrics.port, metricsPort)
  assert.equal(get(processor, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port'), String(metricsPort))
  const compose = JSON.parse(readFileSync(repoPath('deploy/groundstream.compose.json'), 'utf8')) as unknown
  assert.doesNotThrow(() => parseConfig(compose))
})

test('KEDA scales on the consumer group of the config, capped at the partition count', () => {
  const config = processorConfig()
  const scaled = find('ScaledObject', 'groundstream-processor')
  assert.equal(get(scaled, 'spec', 'scaleTargetRef', 'name'), 'groundstream-processor')
  assert.equal(get(scaled, 'spec', 'maxReplicaCount'), config.kafka.topicPartitions)
  assert.ok((get(scaled, 'spec', 'minReplicaCount') as number) >= 1)
  const trigger = get(scaled, 'spec', 'triggers', 0) as YamlObject
  assert.equal(trigger.type, 'kafka')
  assert.equal(get(trigger, 'metadata', 'consumerGroup'), config.kafka.groupId)
  assert.equal(get(trigger, 'metadata', 'topic'), config.kafka.topic)
  assert.equal(get(trigger, 'metadata', 'bootstrapServers'), config.kafka.brokers.join(','))
  const auth = find('TriggerAuthentication', get(trigger, 'authenticationRef', 'name') as string)
  const secret = find('Secret', 'groundstream-credentials')
  for (const ref of get(auth, 'spec', 'secretTargetRef') as YamlObject[]) {
    assert.equal(ref.name, 'groundstream-credentials')
    assert.ok(Object.hasOwn(get(secret, 'stringData') as object, ref.key as string), `secret key ${String(ref.key)}`)
  }
})

test('env sources and mounted keys exist in the ConfigMap and Secret', () => {
  const configMap = find('ConfigMap', 'groundstream-config')
  const secret = find('Secret', 'groundstream-credentials')
  for (const file of ['deployment-cpu.yaml', 'deployment-gpu.yaml', 'deployment-api.yaml']) {
    const name = file === 'deployment-api.yaml' ? 'groundstream-api' : 'groundstream-processor'
    const d = find('Deployment', name, file)
    for (const source of container(d).envFrom as YamlObject[]) {
      if (source.configMapRef !== undefined) assert.equal(get(source, 'configMapRef', 'name'), 'groundstream-config')
      if (source.secretRef !== undefined) assert.equal(get(source, 'secretRef', 'name'), 'groundstream-credentials')
    }
    for (const volume of get(d, 'spec', 'template', 'spec', 'volumes') as YamlObject[]) {
      const items = (get(volume, 'secret', 'items') ?? []) as YamlObject[]
      for (const item of items) assert.ok(Object.hasOwn(get(secret, 'stringData') as object, item.key as string), `${file}: secret key ${String(item.key)}`)
    }
    for (const key of ['GS_ELASTICSEARCH_API_KEY', 'GS_KAFKA_SASL_USERNAME', 'GS_KAFKA_SASL_PASSWORD']) {
      assert.ok(Object.hasOwn(get(secret, 'stringData') as object, key), key)
    }
  }
  assert.ok(Object.hasOwn(get(configMap, 'data') as object, 'GS_ELASTICSEARCH_URL'))
})

test('processor probes hit endpoints the real metrics server answers', async () => {
  const server = await startMetricsServer({ registry: new Registry(), host: '127.0.0.1', port: 0 })
  try {
    const base = server.url.replace(/\/metrics$/, '')
    for (const file of ['deployment-cpu.yaml', 'deployment-gpu.yaml']) {
      const c = container(find('Deployment', 'groundstream-processor', file))
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const path = get(c, probe, 'httpGet', 'path') as string
        assert.equal(get(c, probe, 'httpGet', 'port'), 'metrics', `${file} ${probe} port`)
        const response = await fetch(`${base}${path}`)
        assert.equal(response.status, 200, `${file} ${probe} ${path}`)
      }
    }
  } finally {
    await server.close()
  }
})

test('API probes hit endpoints the real API server answers', async () => {
  // No Elasticsearch behind it: liveness must still be 200, readiness 503 (not 404).
  const client = new Client({ node: 'http://127.0.0.1:9', maxRetries: 0, requestTimeout: 500 })
  const config = parseApiConfig({ host: '127.0.0.1', port: 0, elasticsearch: { url: 'http://127.0.0.1:9' } })
  const server = await createApiServer(config, { client, registry: new Registry(), root: ROOT })
  try {
    const c = container(find('Deployment', 'groundstream-api'))
    const port = (c.ports as YamlObject[]).find((p) => p.name === 'http')?.containerPort
    assert.equal(String(port), get(find('ConfigMap', 'groundstream-config'), 'data', 'GS_API_PORT'))
    const live = get(c, 'livenessProbe', 'httpGet', 'path') as string
    const ready = get(c, 'readinessProbe', 'httpGet', 'path') as string
    assert.ok((API_ROUTES as readonly string[]).includes(live) && (API_ROUTES as readonly string[]).includes(ready))
    assert.equal((await fetch(`${server.url}${live}`)).status, 200)
    assert.equal((await fetch(`${server.url}${ready}`)).status, 503)
  } finally {
    await server.close()
    await client.close()
  }
})

test('every GS_* variable the manifests and compose set is one the service reads', () => {
  const known = new Set([...Object.keys(ENV_VARS), ...Object.keys(API_ENV_VARS), 'GS_CONFIG'])
  const names: Array<[string, string]> = []
  for (const key of Object.keys(get(find('ConfigMap', 'groundstream-config'), 'data') as object)) names.push(['configmap', key])
  for (const key of Object.keys(get(find('Secret', 'groundstream-credentials'), 'stringData') as object)) names.push(['secret', key])
  for (const file of ['deployment-cpu.yaml', 'deployment-gpu.yaml', 'deployment-api.yaml']) {
    const d = find('Deployment', file === 'deployment-api.yaml' ? 'groundstream-api' : 'groundstream-processor', file)
    for (const env of (container(d).env ?? []) as YamlObject[]) names.push([file, String(env.name)])
  }
  const compose = loadYaml(repoPath('deploy/compose.yaml'))
  for (const [service, spec] of Object.entries(compose.services as Record<string, YamlObject>)) {
    if (!service.startsWith('groundstream')) continue
    for (const key of Object.keys((spec.environment ?? {}) as object)) names.push([`compose ${service}`, key])
  }
  const gs = names.filter(([, name]) => name.startsWith('GS_'))
  assert.ok(gs.length > 15)
  assert.deepEqual(gs.filter(([, name]) => !known.has(name)), [])
})

test('the processor config from ConfigMap + Secret has Kafka SASL over TLS and the Elasticsearch API key and CA', () => {
  const configMap = find('ConfigMap', 'groundstream-config')
  const secret = find('Secret', 'groundstream-credentials')
  const dir = mkdtempSync(join(tmpdir(), 'gs-config-'))
  try {
    writeFileSync(join(dir, 'config.json'), get(configMap, 'data', 'config.json') as string)
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries({ ...(get(configMap, 'data') as object), ...(get(secret, 'stringData') as object) })) {
      if (key.startsWith('GS_')) env[key] = String(value)
    }
    const config = loadConfig({ env: { ...env, GS_CONFIG: join(dir, 'config.json') } })
    assert.equal(config.kafka.ssl, true)
    assert.equal(config.kafka.sslCaFile, '/etc/groundstream/tls/kafka-ca.crt')
    assert.deepEqual(config.kafka.sasl, { mechanism: 'scram-sha-512', username: 'groundstream', password: 'change-me' })
    assert.equal(config.elasticsearch.apiKey, 'change-me')
    assert.equal(config.elasticsearch.caFile, '/etc/groundstream/tls/elasticsearch-ca.crt')
    assert.equal(config.elasticsearch.url, 'https://elasticsearch.elastic.svc:9200')
    // The mounted paths are where the volume puts the Secret's CA files.
    const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
    const mount = (container(processor).volumeMounts as YamlObject[]).find((m) => m.name === 'tls')
    assert.equal(`${String(mount?.mountPath)}/kafka-ca.crt`, config.kafka.sslCaFile)
    assert.equal(`${String(mount?.mountPath)}/elasticsearch-ca.crt`, config.elasticsearch.caFile)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
