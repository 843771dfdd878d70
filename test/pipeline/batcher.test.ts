import { expect, test } from 'vitest'
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
  expect(batches).toStrictEqual([[0, 1, 2], [3, 4, 5]])
  expect(batcher.size).toBe(1)
  expect(timers.armed(), 'the partial batch has one timer armed for maxWaitMs').toStrictEqual([50])
})

test('a partial batch leaves when its oldest item has waited maxWaitMs', () => {
  const batches: number[][] = []
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 10, maxWaitMs: 25, emit: (b) => batches.push(b), ...timers })
  batcher.add(1)
  batcher.add(2)
  expect(batches).toStrictEqual([])
  expect(timers.armed().length, 'the second item does not re-arm the timer').toBe(1)
  timers.fire()
  expect(batches).toStrictEqual([[1, 2]])
  batcher.add(3)
  expect(timers.armed(), 'a new batch arms a new timer').toStrictEqual([25])
})

test('filling a batch cancels its timer', () => {
  const batches: number[][] = []
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 2, maxWaitMs: 25, emit: (b) => batches.push(b), ...timers })
  batcher.add(1)
  batcher.add(2)
  expect(timers.armed()).toStrictEqual([])
  expect(batches).toStrictEqual([[1, 2]])
})

test('maxWaitMs 0 sends every item alone; flush sends what is pending', () => {
  const batches: number[][] = []
  const zero = new MicroBatcher<number>({ maxBatchSize: 4, maxWaitMs: 0, emit: (b) => batches.push(b) })
  zero.add(1)
  zero.add(2)
  expect(batches).toStrictEqual([[1], [2]])
  const timers = manualTimers()
  const batcher = new MicroBatcher<number>({ maxBatchSize: 4, maxWaitMs: 100, emit: (b) => batches.push(b), ...timers })
  batcher.add(3)
  batcher.flush()
  expect(batches).toStrictEqual([[1], [2], [3]])
  expect(timers.armed()).toStrictEqual([])
  batcher.flush()
  expect(batches.length, 'flushing nothing emits nothing').toBe(3)
})

test('real timers: a lone item waits about maxWaitMs', async () => {
  const started = performance.now()
  const waited = await new Promise<number>((resolve) => {
    const batcher = new MicroBatcher<number>({ maxBatchSize: 8, maxWaitMs: 40, emit: () => { resolve(performance.now() - started) } })
    batcher.add(1)
  })
  expect(waited >= 35 && waited < 1000, `waited ${waited} ms`).toBeTruthy()
})

test('invalid sizes are refused up front', () => {
  expect(() => new MicroBatcher({ maxBatchSize: 0, maxWaitMs: 1, emit: () => {} })).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG' }))
  expect(() => new MicroBatcher({ maxBatchSize: 1, maxWaitMs: -1, emit: () => {} })).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG' }))
})
