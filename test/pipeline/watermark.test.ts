import { expect, test } from 'vitest'
import { PartitionWatermark } from '../../src/pipeline/index.js'

test('nothing is committable until the first offset is done', () => {
  const w = new PartitionWatermark()
  w.track('10')
  w.track('11')
  expect(w.commitOffset).toBe(null)
  w.complete('11')
  expect(w.commitOffset, 'a later offset done does not move the watermark past an earlier pending one').toBe(null)
  w.complete('10')
  expect(w.commitOffset).toBe('12')
  expect(w.pendingCount).toBe(0)
})

test('out-of-order completion: the watermark follows the contiguous done prefix', () => {
  const w = new PartitionWatermark()
  for (let i = 0; i < 6; i++) w.track(String(i))
  const steps: Array<[number, string | null]> = [[2, null], [0, '1'], [1, '3'], [5, '3'], [3, '4'], [4, '6']]
  for (const [done, expected] of steps) {
    w.complete(String(done))
    expect(w.commitOffset, `after completing ${done}`).toBe(expected)
  }
})

test('gaps in offsets (compaction, control records) do not block the watermark', () => {
  const w = new PartitionWatermark()
  w.track('5')
  w.track('7')
  w.track('100')
  w.complete('7')
  w.complete('5')
  expect(w.commitOffset).toBe('8')
  expect(w.lastDone).toBe(7n)
  w.complete('100')
  expect(w.commitOffset).toBe('101')
})

test('offsets beyond 2^53 stay exact', () => {
  const w = new PartitionWatermark()
  w.track('9007199254740993')
  w.complete('9007199254740993')
  expect(w.commitOffset).toBe('9007199254740994')
})

test('tracking a non-increasing offset is a coded error', () => {
  const w = new PartitionWatermark()
  w.track('3')
  expect(() => { w.track('3') }).toThrow(expect.objectContaining({ code: 'GS_ERR_KAFKA' }))
  expect(() => { w.track('2') }).toThrow(expect.objectContaining({ code: 'GS_ERR_KAFKA' }))
})

test('many offsets: compaction of the internal list keeps answers right', () => {
  const w = new PartitionWatermark()
  for (let i = 0; i < 5000; i++) w.track(String(i))
  for (let i = 0; i < 4999; i++) w.complete(String(i))
  expect(w.commitOffset).toBe('4999')
  expect(w.pendingCount).toBe(1)
  w.complete('4999')
  expect(w.commitOffset).toBe('5000')
})
