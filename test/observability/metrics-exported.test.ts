// Every metric a Grafana dashboard or a Prometheus rule queries must be one the
// service really exports. The metrics are built as the service builds them
// (src/metrics createMetrics with process metrics, plus the knowledge cache's
// registerKnowledgeMetrics, on one registry, prefix from the default config),
// one event of each kind is fed in so labelled series exist, and the real
// /metrics text of startMetricsServer is scraped over HTTP.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Client } from '@elastic/elasticsearch'
import { Registry } from 'prom-client'
import { createApiServer, parseApiConfig } from '../../src/api/index.js'
import { parseConfig } from '../../src/config/index.js'
import { registerKnowledgeMetrics } from '../../src/knowledge-cache/index.js'
import { createMetrics, startMetricsServer } from '../../src/metrics/index.js'
import { entityIndexTemplate } from '../../src/sinks/index.js'
import { ROOT, get, loadYaml, repoPath, type YamlObject } from '../deploy/helpers.js'

/** Series names (with _bucket/_sum/_count for histograms) and their label names, from exposition text. */
function parseExposition (text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/u.exec(line)
    if (match === null) continue
    const name = match[1] as string
    const labels = series.get(name) ?? new Set<string>()
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/gu)) labels.add(pair[1] as string)
    series.set(name, labels)
  }
  return series
}

async function scrapeService (): Promise<Map<string, Set<string>>> {
  const config = parseConfig({})
  const registry = new Registry()
  const metrics = createMetrics({ registry, prefix: config.metrics.prefix, processMetrics: true })
  const knowledge = registerKnowledgeMetrics(registry, `${config.metrics.prefix}knowledge_`)
  for (const stage of ['stage1', 'knowledge', 'image', 'stage2'] as const) metrics.pipeline.batchEnd({ stage, size: 4, durationMs: 40 })
  metrics.pipeline.batchFormed(4)
  metrics.pipeline.sinkEnd({ size: 4, documents: 6, rejected: 0, durationMs: 12 })
  metrics.pipeline.postDone({ outcome: 'indexed', pipelineMs: 90, endToEndMs: 1500, truncated: ['candidates'] })
  metrics.pipeline.queueDepth('stage2', 1)
  metrics.pipeline.deadLettered('sink_rejected', 1)
  metrics.consumer.consumed('posts', 0, 5)
  metrics.consumer.lag('posts', 0, 12)
  metrics.consumer.committed('posts', 0, '41')
  metrics.consumer.paused(false)
  metrics.consumer.deadLettered('invalid_json', 1)
  metrics.elasticsearchError('connection')
  metrics.sinkRetry()
  metrics.modelInfo({ stage: 'stage1', version: 'test', provider: 'cpu' })
  metrics.inFlight(() => 3)
  metrics.image({ status: 'ok', durationMs: 120, regions: 4 })
  metrics.image({ status: 'refused_address', durationMs: 1, regions: 0 })
  metrics.resultCache('stage1', { hits: 1, misses: 3 })
  knowledge.tierLookup?.({ tier: 'memory', outcome: 'hit' })
  knowledge.tierLookup?.({ tier: 'redis', outcome: 'miss' })
  knowledge.sourceFetch?.({ source: 'wikipedia', outcome: 'error', durationMs: 20, errorCode: 'GS_ERR_KNOWLEDGE_TIMEOUT' })
  knowledge.httpAttempt?.({ source: 'wikipedia', status: 503, durationMs: 20, attempt: 1 })
  knowledge.breaker?.({ source: 'wikipedia', state: 'open' })
  knowledge.eviction?.({ reason: 'capacity' })
  knowledge.memoryUsage?.({ bytes: 1024, entries: 3 })
  knowledge.redisError?.({ operation: 'get', code: 'timeout' })

  const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 })
  try {
    const response = await fetch(server.url)
    expect(response.status).toBe(200)
    return parseExposition(await response.text())
  } finally {
    await server.close()
  }
}

/**
 * The search API's own /metrics (`groundstream serve`), after one answered and
 * one failed search (no Elasticsearch behind it), so its labelled series exist.
 */
async function scrapeApi (): Promise<Map<string, Set<string>>> {
  const client = new Client({ node: 'http://127.0.0.1:9', maxRetries: 0, requestTimeout: 500 })
  const server = await createApiServer(parseApiConfig({ host: '127.0.0.1', port: 0 }), { client, registry: new Registry(), root: ROOT })
  try {
    expect((await fetch(`${server.url}/api/v1/mentions?size=0`)).status).toBe(400)
    expect((await fetch(`${server.url}/api/v1/mentions`)).status).toBe(502)
    const response = await fetch(`${server.url}/metrics`)
    expect(response.status).toBe(200)
    return parseExposition(await response.text())
  } finally {
    await server.close()
    await client.close()
  }
}

interface Query { where: string, expr: string }

function alertQueries (): Query[] {
  const rules = loadYaml(repoPath('deploy/prometheus/alerts.yml'))
  return (rules.groups as YamlObject[]).flatMap((group) => (group.rules as YamlObject[]).map((rule) => ({
    where: `alerts.yml ${String(rule.alert ?? rule.record)}`,
    expr: String(rule.expr)
  })))
}

function dashboardQueries (): Query[] {
  const dir = repoPath('grafana/dashboards')
  const out: Query[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as YamlObject
    const panels = (dashboard.panels as YamlObject[]).flatMap((p) => [p, ...((p.panels ?? []) as YamlObject[])])
    for (const panel of panels) {
      for (const target of (panel.targets ?? []) as YamlObject[]) {
        if (typeof target.expr === 'string') out.push({ where: `${file} "${String(panel.title)}"`, expr: target.expr })
      }
    }
    for (const variable of get(dashboard, 'templating', 'list') as YamlObject[]) {
      const query = get(variable, 'query', 'query')
      if (get(variable, 'datasource', 'type') === 'prometheus' && typeof query === 'string') out.push({ where: `${file} $${String(variable.name)}`, expr: query })
    }
  }
  return out
}

/** Metric selectors in a PromQL expression: name plus the label names it matches on. */
function selectors (expr: string): Array<{ name: string, labels: string[] }> {
  const out: Array<{ name: string, labels: string[] }> = []
  for (const match of expr.matchAll(/\b(groundstream_[a-z0-9_]+)(\{([^}]*)\})?/gu)) {
    const labels = [...(match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/gu)].map((m) => m[1] as string)
    out.push({ name: match[1] as string, labels })
  }
  return out
}

test('dashboards and alert rules query only metrics the service exports', async () => {
  const exported = new Map([...await scrapeService(), ...await scrapeApi()])
  const queries = [...alertQueries(), ...dashboardQueries()]
  expect(queries.length > 40, `expected many queries, found ${queries.length}`).toBeTruthy()
  const missing: string[] = []
  let checked = 0
  for (const { where, expr } of queries) {
    for (const { name, labels } of selectors(expr)) {
      checked++
      const series = exported.get(name)
      if (series === undefined) {
        missing.push(`${where}: ${name} is not exported`)
        continue
      }
      for (const label of labels) if (!series.has(label)) missing.push(`${where}: ${name} has no label ${label}`)
    }
  }
  expect(missing).toStrictEqual([])
  expect(checked > 50, `checked ${checked} selectors`).toBeTruthy()
})

test('the selector check catches a misspelt metric (it is not vacuous)', async () => {
  const exported = await scrapeService()
  expect(exported.has('groundstream_consumer_lag')).toBe(true)
  expect(exported.has('groundstream_consumer_lags')).toBe(false)
  expect(selectors('sum(rate(groundstream_x_total{kind!="a", b=~"c"}[5m]))')).toStrictEqual([{ name: 'groundstream_x_total', labels: ['kind', 'b'] }])
})

test('the committed dashboards are what grafana/generate.mjs renders', async () => {
  const generator = await import(pathToFileURL(repoPath('grafana/generate.mjs')).href) as { render: () => Record<string, string> }
  for (const [file, text] of Object.entries(generator.render())) {
    expect(readFileSync(repoPath('grafana/dashboards', file), 'utf8'), `${file} is stale: run node grafana/generate.mjs`).toBe(text)
  }
})

test('dashboards reference the provisioned datasources and have unique panel ids', () => {
  const provisioned = loadYaml(repoPath('grafana/provisioning/datasources/datasources.yaml'))
  const uids = new Set((provisioned.datasources as YamlObject[]).map((d) => d.uid))
  for (const file of readdirSync(repoPath('grafana/dashboards'))) {
    const dashboard = JSON.parse(readFileSync(repoPath('grafana/dashboards', file), 'utf8')) as YamlObject
    const ids = new Set<unknown>()
    for (const panel of dashboard.panels as YamlObject[]) {
      expect(!ids.has(panel.id), `${file}: duplicate panel id ${String(panel.id)}`).toBeTruthy()
      ids.add(panel.id)
      if (panel.type === 'row') continue
      expect(uids.has(get(panel, 'datasource', 'uid')), `${file} "${String(panel.title)}": datasource not provisioned`).toBeTruthy()
    }
  }
  const es = (provisioned.datasources as YamlObject[]).find((d) => d.type === 'elasticsearch')
  expect(get(es, 'jsonData', 'timeField')).toBe('post.created_at')
})

/** Every field path of the index mapping, with multi-field sub-fields (entity.text.keyword). */
function mappedFields (): Map<string, string> {
  const out = new Map<string, string>()
  const mappings = get(entityIndexTemplate('x').body, 'template', 'mappings', 'properties') as Record<string, YamlObject>
  const walk = (properties: Record<string, YamlObject>, prefix: string): void => {
    for (const [name, spec] of Object.entries(properties)) {
      const path = `${prefix}${name}`
      if (spec.properties !== undefined) walk(spec.properties as Record<string, YamlObject>, `${path}.`)
      else out.set(path, String(spec.type))
      for (const [sub, subSpec] of Object.entries((spec.fields ?? {}) as Record<string, YamlObject>)) out.set(`${path}.${sub}`, String(subSpec.type))
    }
  }
  walk(mappings, '')
  return out
}

test('the entity dashboard queries fields the index mapping has, aggregating only keyword/date/numeric ones', () => {
  const fields = mappedFields()
  const dashboard = JSON.parse(readFileSync(repoPath('grafana/dashboards/groundstream-entities.json'), 'utf8')) as YamlObject
  const used: Array<{ field: string, aggregated: boolean, where: string }> = []
  for (const panel of dashboard.panels as YamlObject[]) {
    for (const target of (panel.targets ?? []) as YamlObject[]) {
      const where = String(panel.title)
      used.push({ field: String(target.timeField), aggregated: true, where })
      for (const agg of [...((target.bucketAggs ?? []) as YamlObject[]), ...((target.metrics ?? []) as YamlObject[])]) {
        if (typeof agg.field === 'string') used.push({ field: agg.field, aggregated: true, where })
      }
      for (const match of String(target.query ?? '').matchAll(/(?:_exists_:)?([a-z_]+(?:\.[a-z_]+)+)/gu)) used.push({ field: match[1] as string, aggregated: false, where })
    }
  }
  for (const variable of get(dashboard, 'templating', 'list') as YamlObject[]) {
    if (get(variable, 'datasource', 'type') !== 'elasticsearch') continue
    const query = JSON.parse(String(variable.query)) as { field: string }
    used.push({ field: query.field, aggregated: true, where: `$${String(variable.name)}` })
  }
  expect(used.length > 20).toBeTruthy()
  for (const { field, aggregated, where } of used) {
    const type = fields.get(field)
    assert.ok(type !== undefined, `${where}: ${field} is not in the index mapping`)
    if (aggregated) expect(['keyword', 'date', 'float', 'integer'].includes(type), `${where}: ${field} is ${type}, not aggregatable`).toBeTruthy()
  }
  const datasource = loadYaml(repoPath('grafana/provisioning/datasources/datasources.yaml'))
  const es = (datasource.datasources as YamlObject[]).find((d) => d.type === 'elasticsearch')
  expect(fields.get(String(get(es, 'jsonData', 'timeField')))).toBe('date')
  expect(fields.get(String(get(es, 'jsonData', 'logMessageField')))).toBe('text')
})
