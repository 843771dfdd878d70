// The Kubernetes manifests: every object validated against the Kubernetes
// OpenAPI schemas (kubernetes-models) or its CRD's schema (KEDA, Prometheus
// Operator), then the cross-object rules a schema cannot see: selectors that
// select, probes on endpoints the service really serves, KEDA capped at the
// partition count, and the ConfigMap's config.json accepted by the service's
// own config parser.
import { expect, test } from 'vitest'
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
  expect(found.length > 0, `${kind}/${name} not found${file === undefined ? '' : ` in ${file}`}`).toBe(true)
  return (found[0] as Manifest).doc
}

function container (deployment: YamlObject): YamlObject {
  const containers = get(deployment, 'spec', 'template', 'spec', 'containers') as YamlObject[]
  expect(containers.length).toBe(1)
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
  expect(all.length >= 10, `expected the full set of objects, found ${all.length}`).toBeTruthy()
  for (const { file, doc } of all) {
    const group = VALIDATORS[doc.apiVersion as string]
    assert.ok(group !== undefined, `${file}: no schema for apiVersion ${String(doc.apiVersion)}`)
    const Model = group[doc.kind as string] as Validator | undefined
    assert.ok(Model !== undefined, `${file}: no schema for ${String(doc.apiVersion)} ${String(doc.kind)}`)
    expect(() => { new Model(doc as never).validate() }, `${file}: ${String(doc.kind)} ${String(get(doc, 'metadata', 'name'))}`).not.toThrow()
    expect(get(doc, 'metadata', 'namespace') ?? 'groundstream', `${file}: namespace`).toBe('groundstream')
  }
})

test('core objects pass strict validation (no unknown or misspelt fields) with kubernetes-validate', (t) => {
  const tool = requireTool(t, 'kubernetes-validate', [repoPath('.cache/ops-venv/bin/kubernetes-validate')])
  if (tool === null) return
  const files = FILES.map((file) => `deploy/kubernetes/${file}`)
  const result = run(tool, ['--strict', '--kubernetes-version', '1.30', ...files])
  expect(result.status, result.output).toBe(0)
  // Custom resources have no schema there; the kubernetes-models test above covers them.
  const passed = result.output.match(/ passed for resource /gu)?.length ?? 0
  expect(passed, result.output).toBe(manifests().filter(({ doc }) => !['keda.sh/v1alpha1', 'monitoring.coreos.com/v1'].includes(doc.apiVersion as string)).length)
  // And it is live: a misspelt probe field fails.
  const dir = mkdtempSync(join(tmpdir(), 'gs-k8s-'))
  try {
    const misspelt = readFileSync(repoPath('deploy/kubernetes/deployment-api.yaml'), 'utf8').replace('livenessProbe:', 'livenesProbe:')
    writeFileSync(join(dir, 'broken.yaml'), misspelt)
    const broken = run(tool, ['--strict', '--kubernetes-version', '1.30', join(dir, 'broken.yaml')])
    expect(broken.status).not.toBe(0)
    expect(broken.output).toMatch(/livenesProbe/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the schema validation rejects a broken object (the validator is live)', () => {
  const deployment = structuredClone(find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')) as YamlObject
  ;(container(deployment).ports as YamlObject[])[0] = { containerPort: 'nine' }
  expect(() => { new apps.Deployment(deployment as never).validate() }).toThrow(/containerPort must be integer/)
})

test('kustomization lists files that exist, and both processor variants are complete', () => {
  const kustomization = loadYaml(`${DIR}/kustomization.yaml`)
  for (const resource of kustomization.resources as string[]) expect(FILES.includes(resource), `${resource} missing`).toBeTruthy()
  const cpu = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const gpu = find('Deployment', 'groundstream-processor', 'deployment-gpu.yaml')
  const gpuResources = get(container(gpu), 'resources') as YamlObject
  expect(get(gpuResources, 'requests', 'nvidia.com/gpu')).toBe('1')
  expect(get(gpuResources, 'limits', 'nvidia.com/gpu')).toBe('1')
  expect(get(container(cpu), 'resources', 'requests', 'nvidia.com/gpu')).toBe(undefined)
  const provider = (d: YamlObject): unknown => (container(d).env as YamlObject[]).find((e) => e.name === 'GS_EXECUTION_PROVIDER')?.value
  expect(provider(gpu)).toBe('cuda')
  expect(provider(cpu)).toBe('cpu')
  expect((get(gpu, 'spec', 'template', 'spec', 'tolerations') as YamlObject[]).some((t) => t.key === 'nvidia.com/gpu')).toBeTruthy()
  // Same selector, so the ScaledObject, PDB and metrics Service fit either variant.
  expect(get(cpu, 'spec', 'selector')).toStrictEqual(get(gpu, 'spec', 'selector'))
})

test('selectors of Services, PDBs and the ScaledObject select the pods they mean', () => {
  const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const api = find('Deployment', 'groundstream-api')
  const podLabels = (d: YamlObject): unknown => get(d, 'spec', 'template', 'metadata', 'labels')
  for (const d of [processor, api]) expect(matches(get(d, 'spec', 'selector', 'matchLabels'), podLabels(d))).toBeTruthy()
  expect(matches(get(find('Service', 'groundstream-api'), 'spec', 'selector'), podLabels(api))).toBeTruthy()
  expect(!matches(get(find('Service', 'groundstream-api'), 'spec', 'selector'), podLabels(processor))).toBeTruthy()
  expect(matches(get(find('Service', 'groundstream-processor-metrics'), 'spec', 'selector'), podLabels(processor))).toBeTruthy()
  expect(matches(get(find('PodDisruptionBudget', 'groundstream-processor'), 'spec', 'selector', 'matchLabels'), podLabels(processor))).toBeTruthy()
  expect(matches(get(find('PodDisruptionBudget', 'groundstream-api'), 'spec', 'selector', 'matchLabels'), podLabels(api))).toBeTruthy()
  // Named target ports exist on the pods.
  const portNames = (d: YamlObject): unknown[] => (container(d).ports as YamlObject[]).map((p) => p.name)
  expect(portNames(api).includes(get(find('Service', 'groundstream-api'), 'spec', 'ports', 0, 'targetPort'))).toBeTruthy()
  expect(portNames(processor).includes(get(find('Service', 'groundstream-processor-metrics'), 'spec', 'ports', 0, 'targetPort'))).toBeTruthy()
})

test('config.json in the ConfigMap is accepted by the service config parser', () => {
  const config = processorConfig()
  expect(config.metrics.host, 'metrics must listen beyond loopback for Prometheus and probes').toBe('0.0.0.0')
  const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
  const metricsPort = (container(processor).ports as YamlObject[]).find((p) => p.name === 'metrics')?.containerPort
  expect(config.metrics.port).toBe(metricsPort)
  expect(get(processor, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port')).toBe(String(metricsPort))
  const compose = JSON.parse(readFileSync(repoPath('deploy/groundstream.compose.json'), 'utf8')) as unknown
  expect(() => parseConfig(compose)).not.toThrow()
})

test('KEDA scales on the consumer group of the config, capped at the partition count', () => {
  const config = processorConfig()
  const scaled = find('ScaledObject', 'groundstream-processor')
  expect(get(scaled, 'spec', 'scaleTargetRef', 'name')).toBe('groundstream-processor')
  expect(get(scaled, 'spec', 'maxReplicaCount')).toBe(config.kafka.topicPartitions)
  expect((get(scaled, 'spec', 'minReplicaCount') as number) >= 1).toBeTruthy()
  const trigger = get(scaled, 'spec', 'triggers', 0) as YamlObject
  expect(trigger.type).toBe('kafka')
  expect(get(trigger, 'metadata', 'consumerGroup')).toBe(config.kafka.groupId)
  expect(get(trigger, 'metadata', 'topic')).toBe(config.kafka.topic)
  expect(get(trigger, 'metadata', 'bootstrapServers')).toBe(config.kafka.brokers.join(','))
  const auth = find('TriggerAuthentication', get(trigger, 'authenticationRef', 'name') as string)
  const secret = find('Secret', 'groundstream-credentials')
  for (const ref of get(auth, 'spec', 'secretTargetRef') as YamlObject[]) {
    expect(ref.name).toBe('groundstream-credentials')
    expect(Object.hasOwn(get(secret, 'stringData') as object, ref.key as string), `secret key ${String(ref.key)}`).toBeTruthy()
  }
})

test('env sources and mounted keys exist in the ConfigMap and Secret', () => {
  const configMap = find('ConfigMap', 'groundstream-config')
  const secret = find('Secret', 'groundstream-credentials')
  for (const file of ['deployment-cpu.yaml', 'deployment-gpu.yaml', 'deployment-api.yaml']) {
    const name = file === 'deployment-api.yaml' ? 'groundstream-api' : 'groundstream-processor'
    const d = find('Deployment', name, file)
    for (const source of container(d).envFrom as YamlObject[]) {
      if (source.configMapRef !== undefined) expect(get(source, 'configMapRef', 'name')).toBe('groundstream-config')
      if (source.secretRef !== undefined) expect(get(source, 'secretRef', 'name')).toBe('groundstream-credentials')
    }
    for (const volume of get(d, 'spec', 'template', 'spec', 'volumes') as YamlObject[]) {
      const items = (get(volume, 'secret', 'items') ?? []) as YamlObject[]
      for (const item of items) expect(Object.hasOwn(get(secret, 'stringData') as object, item.key as string), `${file}: secret key ${String(item.key)}`).toBeTruthy()
    }
    for (const key of ['GS_ELASTICSEARCH_API_KEY', 'GS_KAFKA_SASL_USERNAME', 'GS_KAFKA_SASL_PASSWORD']) {
      expect(Object.hasOwn(get(secret, 'stringData') as object, key), key).toBeTruthy()
    }
  }
  expect(Object.hasOwn(get(configMap, 'data') as object, 'GS_ELASTICSEARCH_URL')).toBeTruthy()
})

test('processor probes hit endpoints the real metrics server answers', async () => {
  const server = await startMetricsServer({ registry: new Registry(), host: '127.0.0.1', port: 0 })
  try {
    const base = server.url.replace(/\/metrics$/, '')
    for (const file of ['deployment-cpu.yaml', 'deployment-gpu.yaml']) {
      const c = container(find('Deployment', 'groundstream-processor', file))
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const path = get(c, probe, 'httpGet', 'path') as string
        expect(get(c, probe, 'httpGet', 'port'), `${file} ${probe} port`).toBe('metrics')
        const response = await fetch(`${base}${path}`)
        expect(response.status, `${file} ${probe} ${path}`).toBe(200)
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
    expect(String(port)).toBe(get(find('ConfigMap', 'groundstream-config'), 'data', 'GS_API_PORT'))
    const live = get(c, 'livenessProbe', 'httpGet', 'path') as string
    const ready = get(c, 'readinessProbe', 'httpGet', 'path') as string
    expect((API_ROUTES as readonly string[]).includes(live) && (API_ROUTES as readonly string[]).includes(ready)).toBeTruthy()
    expect((await fetch(`${server.url}${live}`)).status).toBe(200)
    expect((await fetch(`${server.url}${ready}`)).status).toBe(503)
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
  expect(gs.length > 15).toBeTruthy()
  expect(gs.filter(([, name]) => !known.has(name))).toStrictEqual([])
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
    expect(config.kafka.ssl).toBe(true)
    expect(config.kafka.sslCaFile).toBe('/etc/groundstream/tls/kafka-ca.crt')
    expect(config.kafka.sasl).toStrictEqual({ mechanism: 'scram-sha-512', username: 'groundstream', password: 'change-me' })
    expect(config.elasticsearch.apiKey).toBe('change-me')
    expect(config.elasticsearch.caFile).toBe('/etc/groundstream/tls/elasticsearch-ca.crt')
    expect(config.elasticsearch.url).toBe('https://elasticsearch.elastic.svc:9200')
    // The mounted paths are where the volume puts the Secret's CA files.
    const processor = find('Deployment', 'groundstream-processor', 'deployment-cpu.yaml')
    const mount = (container(processor).volumeMounts as YamlObject[]).find((m) => m.name === 'tls')
    expect(`${String(mount?.mountPath)}/kafka-ca.crt`).toBe(config.kafka.sslCaFile)
    expect(`${String(mount?.mountPath)}/elasticsearch-ca.crt`).toBe(config.elasticsearch.caFile)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
