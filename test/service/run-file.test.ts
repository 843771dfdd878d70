// The composition root in file mode, with plain fake stages: the started
// service pairs every step with its close, a file run reports what it read,
// indexed and dead-lettered, and the summary agrees with the files written.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { parseConfig } from '../../src/config/index.js'
import { runService, startService } from '../../src/service/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'

function files (): { dir: string, input: string, output: string, dead: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-service-'))
  const input = join(dir, 'posts.jsonl')
  writeFileSync(input, [makePost(1), makePost(2), makePost(3)].map((p) => JSON.stringify(p)).join('\n') + '\n{not json\n')
  return { dir, input, output: join(dir, 'entities.jsonl'), dead: join(dir, 'dead.jsonl') }
}

const silent = pino({ level: 'silent' })

test('a file run reads every line, indexes the valid posts, dead-letters the rest and summarises what it wrote', async () => {
  const { input, output, dead } = files()
  const config = parseConfig({ files: { input, output, deadLetters: dead }, pipeline: { maxBatchSize: 2, maxWaitMs: 5 }, knowledge: { enabled: false }, images: { enabled: false } })
  const summary = await runService(config, { stages: fakeStages(), logger: silent, registry: new Registry(), models: { stage1: 's1', stage2: 's2' } })
  assert.equal(summary.mode, 'file')
  assert.equal(summary.sink, 'jsonl')
  assert.equal(summary.exitCode, 0)
  assert.equal(summary.source?.lines, 4)
  assert.equal(summary.source?.admitted, 3)
  assert.equal(summary.postsDone, 3)
  assert.deepEqual(summary.deadLetters, { invalid_json: 1 })
  const documents = readFileSync(output, 'utf8').split('\n').filter((line) => line !== '')
  assert.equal(summary.documents, documents.length)
  assert.ok(documents.length >= 3 * 4, 'each sample post has at least four rule entities')
  assert.equal(readFileSync(dead, 'utf8').split('\n').filter((line) => line !== '').length, 1)
  assert.equal(summary.output, output)
  assert.equal(summary.deadLetterFile, dead)
  // The runner alone times stages: both fake stages appear, with every post.
  assert.deepEqual(Object.keys(summary.stages).sort(), ['stage1', 'stage2'])
  assert.equal(summary.stages.stage1?.posts, 3)
  assert.equal(summary.sinkStats.posts, 3)
  assert.ok(summary.startupMs >= 0 && summary.startupMs <= summary.elapsedMs)
  assert.ok(summary.pipelineLatencyMs.p50 >= 0)
})

test('a started service closes in reverse order of startup, once, and leaves the previous output when nothing was committed', async () => {
  const { dir, input, output, dead } = files()
  writeFileSync(output, 'previous\n')
  const config = parseConfig({ files: { input, output, deadLetters: dead }, knowledge: { enabled: false }, images: { enabled: false } })
  const closed: string[] = []
  const stages = fakeStages().map((stage) => ({ ...stage, close: async () => { closed.push(stage.name) } }))
  const service = await startService(config, silent, { stages, registry: new Registry() })
  assert.equal(service.mode, 'file')
  assert.equal(service.kafka, null)
  assert.equal(service.metricsServer, null)
  assert.equal(service.commits.length, 2, 'a file run replaces its output and its dead letters on success')
  assert.ok(Number.isFinite(service.startupMs))
  await service.close()
  await service.close()
  assert.deepEqual(closed, [], 'stages passed in are the caller\'s to close')
  assert.equal(readFileSync(output, 'utf8'), 'previous\n')
  assert.deepEqual(readdirSync(dir).sort(), ['entities.jsonl', 'posts.jsonl'])
})

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

test('the metrics endpoint, when configured, serves the service\'s registry and closes with the service', async () => {
  const { input, output, dead } = files()
  const port = await freePort()
  const config = parseConfig({ files: { input, output, deadLetters: dead }, metrics: { port, prefix: 'gs_svc_' }, knowledge: { enabled: false }, images: { enabled: false } })
  const service = await startService(config, silent, { stages: fakeStages(), registry: new Registry() })
  const url = service.metricsServer?.url
  try {
    assert.ok(url !== undefined)
    const text = await (await fetch(url)).text()
    assert.match(text, /gs_svc_queue_depth/)
  } finally {
    await service.close()
  }
  await assert.rejects(fetch(url))
})
