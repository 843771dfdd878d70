// The composition root in file mode, with plain fake stages: the started
// service pairs every step with its close, a file run reports what it read,
// indexed and dead-lettered, and the summary agrees with the files written.
import { expect, test } from 'vitest'
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
  expect(summary.mode).toBe('file')
  expect(summary.sink).toBe('jsonl')
  expect(summary.exitCode).toBe(0)
  expect(summary.source?.lines).toBe(4)
  expect(summary.source?.admitted).toBe(3)
  expect(summary.postsDone).toBe(3)
  expect(summary.deadLetters).toStrictEqual({ invalid_json: 1 })
  const documents = readFileSync(output, 'utf8').split('\n').filter((line) => line !== '')
  expect(summary.documents).toBe(documents.length)
  expect(documents.length >= 3 * 4, 'each sample post has at least four rule entities').toBeTruthy()
  expect(readFileSync(dead, 'utf8').split('\n').filter((line) => line !== '').length).toBe(1)
  expect(summary.output).toBe(output)
  expect(summary.deadLetterFile).toBe(dead)
  // The runner alone times stages: both fake stages appear, with every post.
  expect(Object.keys(summary.stages).sort()).toStrictEqual(['stage1', 'stage2'])
  expect(summary.stages.stage1?.posts).toBe(3)
  expect(summary.sinkStats.posts).toBe(3)
  expect(summary.startupMs >= 0 && summary.startupMs <= summary.elapsedMs).toBeTruthy()
  expect(summary.pipelineLatencyMs.p50 >= 0).toBeTruthy()
})

test('a started service closes in reverse order of startup, once, and leaves the previous output when nothing was committed', async () => {
  const { dir, input, output, dead } = files()
  writeFileSync(output, 'previous\n')
  const config = parseConfig({ files: { input, output, deadLetters: dead }, knowledge: { enabled: false }, images: { enabled: false } })
  const closed: string[] = []
  const stages = fakeStages().map((stage) => ({ ...stage, close: async () => { closed.push(stage.name) } }))
  const service = await startService(config, silent, { stages, registry: new Registry() })
  expect(service.mode).toBe('file')
  expect(service.kafka).toBe(null)
  expect(service.metricsServer).toBe(null)
  expect(service.commits.length, 'a file run replaces its output and its dead letters on success').toBe(2)
  expect(Number.isFinite(service.startupMs)).toBeTruthy()
  await service.close()
  await service.close()
  expect(closed, 'stages passed in are the caller\'s to close').toStrictEqual([])
  expect(readFileSync(output, 'utf8')).toBe('previous\n')
  expect(readdirSync(dir).sort()).toStrictEqual(['entities.jsonl', 'posts.jsonl'])
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
    expect(text).toMatch(/gs_svc_queue_depth/)
  } finally {
    await service.close()
  }
  await expect(fetch(url)).rejects.toThrow()
})
