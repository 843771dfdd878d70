import { test } from 'vitest'
import assert from 'node:assert/strict'
import { Pipeline, sleep, type PipelineEvents, type SinkOutcome, type StageBatchEvent } from '../../src/pipeline/index.js'
import { MemoryDeadLetters, MemorySink, fakeStages, makeWork } from './fakes.js'

function recordingEvents (): PipelineEvents & { stageEvents: StageBatchEvent[], formed: number[], depths: number[] } {
  const stageEvents: StageBatchEvent[] = []
  const formed: number[] = []
  const depths: number[] = []
  return {
    stageEvents,
    formed,
    depths,
    batchEnd: (event) => { stageEvents.push(event) },
    batchFormed: (size) => { formed.push(size) },
    sinkEnd: () => {},
    postDone: () => {},
    queueDepth: (_queue, depth) => { depths.push(depth) },
    deadLettered: () => {}
  }
}

test('every admitted post is indexed once, with its entities, and its promise settles after the sink', async () => {
  const sink = new MemorySink()
  const events = recordingEvents()
  const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters: new MemoryDeadLetters(), maxBatchSize: 4, maxWaitMs: 5, queueCapacity: 2, maxInFlight: 64, events })
  const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => pipeline.push(makeWork(i))))
  assert.deepEqual(outcomes, Array(10).fill('indexed'))
  assert.deepEqual(sink.written.map((w) => w.post.id).sort(), Array.from({ length: 10 }, (_, i) => makeWork(i).post.id).sort())
  const first = sink.written.find((w) => w.post.id === 'post-00000')
  assert.deepEqual(first?.entities.map((e) => e.candidate.text), ['Post', 'Maria Lopez', 'Paris', 'Nike', '#run0', '@friend0'])
  assert.equal(typeof first?.timings.stage1, 'number')
  assert.equal(typeof first?.timings.stage2, 'number')
  assert.deepEqual(events.formed, [4, 4, 2], 'batches by size, then the remainder after maxWaitMs')
  assert.equal(events.stageEvents.filter((e) => e.stage === 'stage1').length, 3)
  assert.equal(pipeline.inFlight, 0)
  await pipeline.close()
})

test('stages are pipelined: stage 1 of batch k+1 runs while stage 2 works on batch k', async () => {
  const trace: Array<[string, 'start' | 'end', number]> = []
  const pipeline = new Pipeline({ stages: fakeStages({ delayMs: 30, trace }), sink: new MemorySink(), deadLetters: new MemoryDeadLetters(), maxBatchSize: 2, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 64 })
  await Promise.all(Array.from({ length: 6 }, (_, i) => pipeline.push(makeWork(i))))
  const at = (stage: string, kind: 'start' | 'end', n: number): number => trace.findIndex(([s, k, b]) => s === stage && k === kind && b === n)
  assert.ok(at('stage1', 'start', 1) < at('stage2', 'end', 0), `stage1 batch 1 should start before stage2 batch 0 ends: ${JSON.stringify(trace)}`)
  // Each stage runs one batch at a time.
  for (const stage of ['stage1', 'stage2']) {
    const own = trace.filter(([s]) => s === stage).map(([, k]) => k)
    assert.deepEqual(own, ['start', 'end', 'start', 'end', 'start', 'end'])
  }
  await pipeline.close()
})

test('admission stops at maxInFlight and resumes as posts finish', async () => {
  const sink = new MemorySink()
  sink.delayMs = 40
  const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters: new MemoryDeadLetters(), maxBatchSize: 2, maxWaitMs: 1, queueCapacity: 1, maxInFlight: 4 })
  const done: Array<Promise<unknown>> = []
  for (let i = 0; i < 4; i++) done.push(pipeline.push(makeWork(i)))
  assert.equal(pipeline.hasCapacity(), false)
  let admitted = false
  const waiting = pipeline.waitForCapacity().then(() => { admitted = true })
  await sleep(10)
  assert.equal(admitted, false, 'no room while 4 posts are in flight')
  await waiting
  assert.ok(pipeline.inFlight < 4)
  await Promise.all(done)
  await pipeline.close()
})

test('a sink rejection dead-letters that post only, with its source coordinates', async () => {
  const sink = new MemorySink()
  sink.reject = (work) => (work.post.id === 'post-00002' ? 'field [x] out of range' : null)
  const deadLetters = new MemoryDeadLetters()
  const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters, maxBatchSize: 8, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 64 })
  const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => pipeline.push(makeWork(i))))
  assert.deepEqual(outcomes, ['indexed', 'indexed', 'dead_lettered', 'indexed'])
  assert.equal(deadLetters.records.length, 1)
  const [record] = deadLetters.records
  assert.equal(record?.reason, 'sink_rejected')
  assert.match(record?.detail ?? '', /out of range/)
  assert.deepEqual(record?.source, { topic: 't', partition: 2, offset: '2' })
  assert.equal(record?.postId, 'post-00002')
  await pipeline.close()
})

test('a stage that throws fails the pipeline: in-flight posts reject, new ones are refused', async () => {
  const stages = fakeStages({ fail: (batch) => batch.some((w) => w.post.id === 'post-00001') })
  const pipeline = new Pipeline({ stages, sink: new MemorySink(), deadLetters: new MemoryDeadLetters(), maxBatchSize: 4, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 64 })
  let failed: unknown = null
  pipeline.onFailure((error) => { failed = error })
  const results = await Promise.allSettled([0, 1, 2].map((i) => pipeline.push(makeWork(i))))
  assert.ok(results.every((r) => r.status === 'rejected'))
  assert.equal((failed as { code?: string } | null)?.code, 'GS_ERR_INFERENCE')
  await assert.rejects(pipeline.push(makeWork(9)), { code: 'GS_ERR_INFERENCE' })
  await pipeline.close()
})

test('close while the sink is stuck rejects in-flight posts with GS_ERR_SHUTDOWN (they are read again)', async () => {
  const sink = new MemorySink()
  sink.write = (_items: readonly unknown[], signal: AbortSignal) => new Promise<SinkOutcome[]>((_resolve, reject) => {
    signal.addEventListener('abort', () => { reject(new Error('aborted')) }, { once: true })
  })
  const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters: new MemoryDeadLetters(), maxBatchSize: 2, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 8 })
  const pending = [0, 1, 2].map((i) => pipeline.push(makeWork(i)))
  assert.equal(await pipeline.drain(50), false, 'drain times out while the sink is stuck')
  await pipeline.close()
  const results = await Promise.allSettled(pending)
  for (const r of results) assert.equal(r.status === 'rejected' && (r.reason as { code?: string }).code, 'GS_ERR_SHUTDOWN')
  await pipeline.close()
})

test('refuses maxInFlight below maxBatchSize and duplicate stage names', () => {
  assert.throws(() => new Pipeline({ stages: fakeStages(), sink: new MemorySink(), deadLetters: new MemoryDeadLetters(), maxBatchSize: 8, maxWaitMs: 1, queueCapacity: 1, maxInFlight: 4 }), { code: 'GS_ERR_CONFIG' })
  const [s1] = fakeStages()
  assert.ok(s1 !== undefined)
  assert.throws(() => new Pipeline({ stages: [s1, s1], sink: new MemorySink(), deadLetters: new MemoryDeadLetters(), maxBatchSize: 1, maxWaitMs: 1, queueCapacity: 1, maxInFlight: 4 }), { code: 'GS_ERR_CONFIG' })
})
