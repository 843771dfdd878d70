// SIGTERM while the sink cannot write: the service stops fetching, gives
// in-flight posts their share of the budget, commits only what was indexed,
// and exits within shutdown.timeoutMs. Elasticsearch is a scripted server
// that accepts the template and index but answers every bulk with 503.
import { expect, test } from 'vitest'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KAFKA_BROKERS, skipUnless, uniqueName, waitFor } from './services.js'
import { createTopics, groupLag, produce, testKafka } from './kafka-helpers.js'
import { e2ePost } from './posts.js'
import { skipWhen } from '../support/skip.js'
import { ROOT, TS_LOADER } from '../support/paths.js'

test('SIGTERM during a sink outage: bounded shutdown, exit 0, nothing committed that was not indexed', { timeout: 180_000 }, async (t) => {
  skipWhen(t, skipUnless(KAFKA_BROKERS, 'KAFKA_BROKERS'))
  let bulks = 0
  const es = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' }
      if (request.url?.startsWith('/_bulk') === true) {
        bulks++
        response.writeHead(503, headers)
        response.end(JSON.stringify({ error: { type: 'cluster_block_exception' }, status: 503 }))
      } else if (request.method === 'HEAD') {
        response.writeHead(404, headers)
        response.end()
      } else {
        response.writeHead(200, headers)
        response.end(JSON.stringify({ acknowledged: true }))
      }
    })
  })
  await new Promise<void>((resolve) => { es.listen(0, '127.0.0.1', resolve) })
  const esPort = (es.address() as { port: number }).port
  const name = uniqueName('gs-e2e-shutdown')
  const kafka = testKafka('gs-e2e-shutdown')
  const admin = kafka.admin()
  await admin.connect()
  const dir = mkdtempSync(join(tmpdir(), 'gs-shutdown-'))
  const configFile = join(dir, 'config.json')
  const timeoutMs = 12_000
  writeFileSync(configFile, JSON.stringify({
    kafka: { brokers: KAFKA_BROKERS.split(','), topic: name, dlqTopic: `${name}.dlq`, groupId: `${name}-group`, topicPartitions: 2, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    elasticsearch: { url: `http://127.0.0.1:${esPort}`, index: name, retryInitialMs: 50, retryMaxMs: 500 },
    pipeline: { maxBatchSize: 8, maxWaitMs: 10, maxInFlight: 32 },
    log: { level: 'info' },
    shutdown: { timeoutMs }
  }))
  try {
    await createTopics(admin, [{ topic: name, partitions: 2 }, { topic: `${name}.dlq`, partitions: 1 }])
    await produce(kafka, name, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify(e2ePost(i)) })))
    const env: Record<string, string | undefined> = { ...process.env, GS_CONFIG: configFile, GS_TEST_STAGE_DELAY_MS: '1' }
    const child = spawn(process.execPath, ['--import', TS_LOADER, join(ROOT, 'test/e2e/fixtures/fake-stage-service.ts')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] })
    const log: string[] = []
    child.stderr.on('data', (chunk: Buffer) => { log.push(chunk.toString()) })
    const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
    await waitFor('bulk requests failing', async () => bulks >= 3, 60_000)
    await waitFor('consumer paused', async () => log.join('').includes('consumption paused'), 30_000)
    const started = Date.now()
    child.kill('SIGTERM')
    const code = await exited
    const took = Date.now() - started
    expect(code, log.join('').slice(-2000)).toBe(0)
    expect(took < timeoutMs + 3000, `shutdown took ${took} ms, budget ${timeoutMs} ms`).toBeTruthy()
    const state = await groupLag(admin, `${name}-group`, name)
    expect(state.committed, 'no post was indexed, so no offset moved').toBe(0)
    expect(log.join('').includes('will be read again') || log.join('').includes('still in flight'), 'the unfinished posts are reported').toBeTruthy()
  } finally {
    await admin.deleteTopics({ topics: [name, `${name}.dlq`] }).catch(() => {})
    await admin.disconnect()
    es.close()
  }
})
