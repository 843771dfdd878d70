// The run summary's collector and the counting sink: what `run` prints comes
// from these, and every event must still reach the metrics adapter.
import { expect, test } from 'vitest'
import { Registry } from 'prom-client'
import { createMetrics } from '../../src/metrics/index.js'
import type { PostWork, Sink } from '../../src/pipeline/index.js'
import { SummaryCollector, countingSink } from '../../src/service/index.js'
import { makeWork } from '../pipeline/fakes.js'

test('the collector sums stage and sink timings, dead letters and latency, and forwards each event to the metrics', async () => {
  const registry = new Registry()
  const collector = new SummaryCollector()
  const events = collector.events(createMetrics({ registry, prefix: 'gs_test_' }))
  events.batchFormed(2)
  events.batchEnd({ stage: 'stage1', size: 2, durationMs: 10 })
  events.batchEnd({ stage: 'stage1', size: 3, durationMs: 20 })
  events.sinkEnd({ size: 5, durationMs: 4, documents: 7, rejected: 0 })
  for (const ms of [1, 2, 3, 4, 100]) events.postDone({ outcome: 'indexed', pipelineMs: ms, endToEndMs: Number.NaN, truncated: [] })
  events.deadLettered('invalid_json', 2)
  events.deadLettered('invalid_json', 1)

  expect(collector.stages.stage1).toStrictEqual({ batches: 2, posts: 5, totalMs: 30 })
  expect(collector.sink).toStrictEqual({ batches: 1, posts: 5, totalMs: 4 })
  expect(collector.documents).toBe(7)
  expect(collector.batches).toBe(1)
  expect(collector.postsDone).toBe(5)
  expect(collector.deadLetters).toStrictEqual({ invalid_json: 3 })
  expect(collector.latency()).toStrictEqual({ p50: 3, p99: 100, max: 100 })
  expect(collector.lastDoneAt >= collector.firstBatchAt).toBeTruthy()

  const text = await registry.metrics()
  expect(text).toMatch(/gs_test_stage_posts_total\{stage="stage1"\} 5/)
  expect(text).toMatch(/gs_test_dead_letters_total\{reason="invalid_json"\} 3/)
  expect(text).toMatch(/gs_test_documents_indexed_total 7/)
})

test('an empty run has no latency percentiles (NaN), not zeros', () => {
  const latency = new SummaryCollector().latency()
  expect(Number.isNaN(latency.p50) && Number.isNaN(latency.p99) && Number.isNaN(latency.max)).toBeTruthy()
})

function boxedWork (i: number, boxes: number): PostWork {
  const work = makeWork(i)
  work.entities = Array.from({ length: boxes + 1 }, (_, k) => ({
    candidate: { postId: work.post.id, text: `E${k}`, start: 0, end: 2, wordStart: 0, wordEnd: 1, score: 0.9 },
    type: 'ORG' as const,
    typeScore: 0.9,
    knowledge: null,
    // One entity per post is not boxed.
    grounding: k === boxes ? null : { box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 }, label: 'text:E', score: 0.8, reason: 'ocr' }
  }))
  return work
}

test('the counting sink counts boxed entities of written posts only, keeps a few examples, and passes everything through', async () => {
  const calls: string[] = []
  const inner: Sink = {
    name: 'memory',
    init: async () => { calls.push('init') },
    close: async () => { calls.push('close') },
    write: async (items) => items.map((work) => (work.post.id.endsWith('2') ? { ok: false as const, reason: 'rejected', detail: 'x' } : { ok: true as const, documents: work.entities.length }))
  }
  const boxed = { count: 0, examples: [] as Array<{ postId: string }> }
  const sink = countingSink(inner, boxed as Parameters<typeof countingSink>[1])
  expect(sink.name).toBe('memory')
  await sink.init()
  const outcomes = await sink.write([boxedWork(1, 3), boxedWork(2, 5), boxedWork(3, 6)], new AbortController().signal)
  await sink.close()
  expect(outcomes.map((o) => o.ok)).toStrictEqual([true, false, true])
  expect(boxed.count, 'post 2 was rejected: its boxes are not counted').toBe(9)
  expect(boxed.examples.length, 'at most eight examples').toBe(8)
  expect(boxed.examples.every((example) => example.postId !== 'post-00002')).toBeTruthy()
  expect(calls).toStrictEqual(['init', 'close'])
})
