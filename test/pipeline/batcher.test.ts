import { test } from 'vitest'
import assert from 'node:assert/strict'
import { MicroBatcher } from '../../src/pipeline/index.js'

function manualTimers (): { setTimer: (fn: () => void, ms: number) => unknown, clearTimer: (h: unknown) => void, fire: () => void, armed: () => number[] } {
  const timers = new Map<number, { fn: () => void, ms: number }>()
  let next = 0
  return {
    setTimer: (fn, ms) => { const id = next++; timers.set(id, { fn, ms }); return id },
    clearTimer: (id) => { timers.delete(id as number) },
    fire: () => { for (const [id, timer] of [...timers]) { timers.delete(id); timer.fn() } },
    armed: () => [...timers.values()].map((timer) => timer.ms)
  }
}

test('a full batch leaves at once, without waiting for the timer', () => {
  const batches: number[][] = []
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 3, maxWaitMs: 50, emit: (b) => batches.push(b), ...timers })
  for (let i = 0; i < 7; i++) batcher.add(i)
  assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5]])
  assert.equal(batcher.size, 1)
  assert.deepEqual(timers.armed(), [50], 'the partial batch has one timer armed for maxWaitMs')
})

test('a partial batch leaves when its oldest item has waited maxWaitMs', () => {
  const batches: number[][] = []
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 10, maxWaitMs: 25, emit: (b) => batches.push(b), ...timers })
  batcher.add(1)
  batcher.add(2)
  assert.deepEqual(batches, [])
  assert.equal(timers.armed().length, 1, 'the second item does not re-arm the timer')
  timers.fire()
  assert.deepEqual(batches, [[1, 2]])
  batcher.add(3)
  assert.deepEqual(timers.armed(), [25], 'a new batch arms a new timer')
})

test('filling a batch cancels its timer', () => {
  const batches: number[][] = []
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 2, maxWaitMs: 25, emit: (b) => batches.push(b), ...timers })
  batcher.add(1)
  batcher.add(2)
  assert.deepEqual(timers.armed(), [])
  assert.deepEqual(batches, [[1, 2]])
})

test('maxWaitMs 0 sends every item alone; flush sends what is pending', () => {
  const batches: number[][] = []
  const zero = new MicroBatcher<number>({ maxBatchSize: 4, maxWaitMs: 0, emit: (b) => batches.push(b) })
  zero.add(1)
  zero.add(2)
  assert.deepEqual(batches, [[1], [2]])
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 4, maxWaitMs: 100, emit: (b) => batches.push(b), ...timers })
  batcher.add(3)
  batcher.flush()
  assert.deepEqual(batches, [[1], [2], [3]])
  assert.deepEqual(timers.armed(), [])
  batcher.flush()
  assert.equal(batches.length, 3, 'flushing nothing emits nothing')
})

test('real timers: a lone item waits about maxWaitMs', async () => {
  const started = performance.now()
  const waited = await new Promise<number>((resolve) => {
    const batcher = new MicroBatcher<number>({ maxBatchSize: 8, maxWaitMs: 40, emit: () => { resolve(performance.now() - started) } })
    batcher.add(1)
  })
  assert.ok(waited >= 35 && waited < 1000, `waited ${waited} ms`)
})

test('invalid sizes are refused up front', () => {
  assert.throws(() => new MicroBatcher({ maxBatchSize: 0, maxWaitMs: 1, emit: () => {} }), { code: 'GS_ERR_CONFIG' })
  assert.throws(() => new MicroBatcher({ maxBatchSize: 1, maxWaitMs: -1, emit: () => {} }), { code: 'GS_ERR_CONFIG' })
})
