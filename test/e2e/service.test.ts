// The service as a process against the real Kafka and Elasticsearch from
// scripts/services.sh, with the real text-model stages (fp32 where exported,
// else int8; both batch-invariant): exact documents, crash and
// restart, an Elasticsearch outage, poison records. Expected documents come
// from running the same stages in-process over the same posts (file mode).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@elastic/elasticsearch'
import type { Admin, Kafka } from 'kafkajs'
import { pino } from 'pino'
import { runService } from '../../src/service/index.js'
import { parseConfig } from '../../src/config/index.js'
import type { PostInput } from '../../src/contracts/index.js'
import { DEAD_LETTER_HEADERS } from '../../src/sinks/index.js'
import { ELASTICSEARCH_URL, KAFKA_BROKERS, uniqueName, waitFor } from './services.js'
import { createTopics, groupLag, produce, readTopic, testKafka } from './kafka-helpers.js'
import { e2ePost } from './posts.js'
import { skipWhen } from '../support/skip.js'
import { builtCli, ROOT } from '../support/paths.js'

const MAIN = builtCli()
const MODELS = join(ROOT, 'models')
const MODELS_PRESENT = existsSync(join(MODELS, 'stage1/manifest.json')) && existsSync(join(MODELS, 'stage2/manifest.json'))
const skip = KAFKA_BROKERS === '' || ELASTICSEARCH_URL === '' ? 'KAFKA_BROKERS/ELASTICSEARCH_URL not set (npm test starts the services)' : false
const work = mkdtempSync(join(tmpdir(), 'gs-e2e-'))
// fp32 exports stay local (only int8 is committed). Both precisions are
// batch-invariant (test/stages/batch-invariance.test.ts), so the expected run
// and the service both use the real batch size.
const FP32 = existsSync(join(ROOT, 'models/stage1/model.fp32.onnx')) && existsSync(join(ROOT, 'models/stage2/model.fp32.onnx'))
const TEXT_MODELS = { precision: FP32 ? 'fp32' as const : 'int8' as const }
const REAL_BATCH = 32

let kafka: Kafka
let admin: Admin
let es: Client

beforeAll(async () => {
  if (skip !== false) return
  kafka = testKafka('gs-e2e')
  admin = kafka.admin()
  await admin.connect()
  es = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0 })
})

afterAll(async () => {
  if (skip !== false) return
  await admin.disconnect()
  await es.close()
})

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => { resolve(port) })
    })
  })
}

/** Document ids the real stages produce for these posts, run in-process over a JSONL file. */
async function expectedRealIds (posts: PostInput[], name: string): Promise<Set<string>> {
  const input = join(work, `${name}.jsonl`)
  const output = join(work, `${name}.expected.jsonl`)
  writeFileSync(input, posts.map((p) => JSON.stringify(p)).join('\n') + '\n')
  const config = parseConfig({ files: { input, output, deadLetters: join(work, `${name}.dlq.jsonl`) }, textModels: TEXT_MODELS, knowledge: { enabled: false }, pipeline: { maxBatchSize: REAL_BATCH } })
  await runService(config, { logger: pino({ level: 'silent' }) })
  const lines = readFileSync(output, 'utf8').split('\n').filter((line) => line !== '')
  return new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id))
}

/**
 * Crash and outage tests are only meaningful when there are documents to
 * write: the committed models must find entities in these entity-rich posts.
 */
async function expectedIds (posts: PostInput[], name: string): Promise<Set<string>> {
  expect(MODELS_PRESENT, `no models in ${MODELS}`).toBeTruthy()
  const real = await expectedRealIds(posts, name)
  expect(real.size > 0, `the models found no entity in ${posts.length} entity-rich posts`).toBeTruthy()
  return real
}

interface Service {
  child: ChildProcess
  log: string[]
  exited: Promise<number | null>
  metricsUrl: string
}

async function startService (name: string, options: { pipeline?: Record<string, unknown>, elasticsearch?: Record<string, unknown> } = {}): Promise<Service> {
  const port = await freePort()
  const configFile = join(work, `${name}.config.json`)
  writeFileSync(configFile, JSON.stringify({
    kafka: { brokers: KAFKA_BROKERS.split(','), topic: name, dlqTopic: `${name}.dlq`, groupId: `${name}-group`, topicPartitions: 4, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxRecordBytes: 64 * 1024 },
    elasticsearch: { url: ELASTICSEARCH_URL, index: name, retryInitialMs: 100, retryMaxMs: 1_000, ...options.elasticsearch },
    pipeline: { maxBatchSize: REAL_BATCH, maxWaitMs: 20, maxInFlight: 256, ...options.pipeline },
    metrics: { port },
    log: { level: 'info' },
    textModels: TEXT_MODELS,
    knowledge: { enabled: false },
    shutdown: { timeoutMs: 30_000 }
  }))
  const args = [MAIN, 'run', '--config', configFile]
  const env: Record<string, string | undefined> = { ...process.env, GS_CONFIG: configFile }
  for (const key of Object.keys(env)) if (key.startsWith('GS_') && key !== 'GS_CONFIG') delete env[key]
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const log: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => { log.push(...chunk.toString().split('\n').filter((l) => l !== '')) })
  child.stdout?.on('data', (chunk: Buffer) => { log.push(...chunk.toString().split('\n').filter((l) => l !== '')) })
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
  await waitFor(`${name} service consuming`, async () => {
    if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}:\n${log.slice(-20).join('\n')}`)
    return log.some((line) => line.includes('"msg":"consuming"'))
  }, 120_000, 100)
  return { child, log, exited, metricsUrl: `http://127.0.0.1:${port}/metrics` }
}

async function stopService (service: Service): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode
  service.child.kill('SIGTERM')
  return await service.exited
}

async function indexedIds (index: string): Promise<string[]> {
  if (!(await es.indices.exists({ index }))) return []
  await es.indices.refresh({ index })
  const ids: string[] = []
  let response = await es.search({ index, size: 5000, _source: false, sort: ['_doc'], scroll: '30s', query: { match_all: {} } })
  while (response.hits.hits.length > 0) {
    ids.push(...response.hits.hits.map((hit) => hit._id as string))
    response = await es.scroll({ scroll_id: response._scroll_id as string, scroll: '30s' })
  }
  await es.clearScroll({ scroll_id: response._scroll_id as string }).catch(() => {})
  return ids
}

async function metric (service: Service, name: string): Promise<number | null> {
  const text = await (await fetch(service.metricsUrl)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? null : Number(line.split(' ')[1])
}

async function cleanup (name: string): Promise<void> {
  await es.indices.delete({ index: name, ignore_unavailable: true }).catch(() => {})
  await es.indices.deleteIndexTemplate({ name: `${name}-template` }).catch(() => {})
  await admin.deleteTopics({ topics: [name, `${name}.dlq`] }).catch(() => {})
}

test('end to end with the real models: exactly the expected documents, poison dead-lettered, offsets committed, clean SIGTERM', { timeout: 300_000 }, async (t) => {
  skipWhen(t, skip !== false ? skip : MODELS_PRESENT ? false : `no models in ${MODELS}`)
  const name = uniqueName('gs-e2e-exact')
  const posts = Array.from({ length: 300 }, (_, i) => e2ePost(i))
  const expected = await expectedRealIds(posts, name)
  await createTopics(admin, [{ topic: name, partitions: 4 }, { topic: `${name}.dlq`, partitions: 1 }])
  const records = posts.map((p) => ({ key: p.id, value: JSON.stringify(p) }))
  records.splice(50, 0, { key: 'poison-json', value: '{"id": "p", "text": "cut' })
  records.splice(150, 0, { key: 'poison-types', value: JSON.stringify({ ...posts[0], id: 'poison-types', created_at: 17 }) })
  records.splice(250, 0, { key: 'poison-huge', value: JSON.stringify({ ...posts[0], id: 'poison-huge', text: 'y'.repeat(19_000) }) + ' '.repeat(80 * 1024) })
  await produce(kafka, name, records)
  const service = await startService(name)
  try {
    await waitFor('all offsets committed', async () => (await groupLag(admin, `${name}-group`, name)).lag === 0, 180_000)
    const ids = await indexedIds(name)
    expect(ids.length, `documents in Elasticsearch (${ids.length}) vs expected (${expected.size})`).toBe(expected.size)
    expect(new Set(ids)).toStrictEqual(expected)
    const dlq = await readTopic(kafka, `${name}.dlq`, 3)
    expect(dlq.map((r) => r.headers[DEAD_LETTER_HEADERS.reason]).sort()).toStrictEqual(['invalid_json', 'oversized', 'schema_violation'])
    expect(await metric(service, 'groundstream_posts_total{outcome="indexed"}')).toBe(300)
    expect(await stopService(service), `clean exit on SIGTERM:\n${service.log.slice(-10).join('\n')}`).toBe(0)
    expect(service.log.some((l) => l.includes('shutting down'))).toBeTruthy()
  } finally {
    await stopService(service)
    await cleanup(name)
  }
})

test('kill -9 mid-run, then restart: no post lost, no duplicate documents', { timeout: 400_000 }, async (t) => {
  skipWhen(t, skip)
  const name = uniqueName('gs-e2e-kill')
  const posts = Array.from({ length: 2000 }, (_, i) => e2ePost(i))
  const expected = await expectedIds(posts, name)
  await createTopics(admin, [{ topic: name, partitions: 4 }, { topic: `${name}.dlq`, partitions: 1 }])
  await produce(kafka, name, posts.map((p) => ({ key: p.id, value: JSON.stringify(p) })))
  const first = await startService(name)
  let killedAt: { committed: number, end: number }
  try {
    killedAt = await waitFor('some but not all offsets committed', async () => {
      const state = await groupLag(admin, `${name}-group`, name)
      return state.committed > 0 && state.lag > 0 ? state : null
    }, 180_000, 50)
    first.child.kill('SIGKILL')
    await first.exited
  } finally {
    first.child.kill('SIGKILL')
  }
  const afterKill = await groupLag(admin, `${name}-group`, name)
  expect(afterKill.lag > 0, `killed mid-run (committed ${afterKill.committed} of ${afterKill.end})`).toBeTruthy()
  const second = await startService(name)
  try {
    await waitFor('all offsets committed after restart', async () => (await groupLag(admin, `${name}-group`, name)).lag === 0, 300_000)
    const ids = await indexedIds(name)
    expect(ids.length, `no duplicates and nothing missing: ${ids.length} documents, expected ${expected.size} (killed at ${killedAt.committed}/${killedAt.end})`).toBe(expected.size)
    expect(new Set(ids)).toStrictEqual(expected)
  } finally {
    await stopService(second)
    await cleanup(name)
  }
})

test('Elasticsearch stopped mid-run: consumption pauses, nothing is lost, it catches up when Elasticsearch returns', { timeout: 600_000 }, async (t) => {
  skipWhen(t, skip)
  const name = uniqueName('gs-e2e-outage')
  const posts = Array.from({ length: 900 }, (_, i) => e2ePost(i))
  const expected = await expectedIds(posts, name)
  await createTopics(admin, [{ topic: name, partitions: 4 }, { topic: `${name}.dlq`, partitions: 1 }])
  const service = await startService(name, { pipeline: { maxInFlight: 64 } })
  const services = join(ROOT, 'scripts/services.sh')
  try {
    await produce(kafka, name, posts.slice(0, 300).map((p) => ({ key: p.id, value: JSON.stringify(p) })))
    await waitFor('first 300 committed', async () => (await groupLag(admin, `${name}-group`, name)).lag === 0, 120_000)

    execFileSync('bash', [services, 'stop', 'elasticsearch'], { stdio: 'ignore' })
    await produce(kafka, name, posts.slice(300).map((p) => ({ key: p.id, value: JSON.stringify(p) })))
    await waitFor('consumer paused for backpressure', async () => (await metric(service, 'groundstream_consumer_paused')) === 1, 120_000)
    const inFlight = await metric(service, 'groundstream_in_flight_posts')
    expect(inFlight !== null && inFlight <= 64, `in flight bounded: ${inFlight}`).toBeTruthy()
    const during = await groupLag(admin, `${name}-group`, name)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const later = await groupLag(admin, `${name}-group`, name)
    expect(later.lag > 0, 'offsets do not run ahead of what is indexed').toBeTruthy()
    expect(later.committed - during.committed <= 64, 'at most the posts already in flight can complete').toBeTruthy()
    expect(((await metric(service, 'groundstream_sink_retries_total')) ?? 0) > 0, 'the sink is retrying').toBeTruthy()
  } finally {
    execFileSync('bash', [services, 'start', 'elasticsearch'], { stdio: 'ignore' })
  }
  try {
    await waitFor('caught up after Elasticsearch returned', async () => (await groupLag(admin, `${name}-group`, name)).lag === 0, 300_000)
    const ids = await indexedIds(name)
    expect(ids.length, `${ids.length} documents, expected ${expected.size}`).toBe(expected.size)
    expect(new Set(ids)).toStrictEqual(expected)
    expect(await metric(service, 'groundstream_consumer_paused')).toBe(0)
    expect(await stopService(service)).toBe(0)
  } finally {
    await stopService(service)
    await cleanup(name)
  }
})
