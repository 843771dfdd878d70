import { test } from 'vitest'
import assert from 'node:assert/strict'
import { PartitionWatermark } from '../../src/pipeline/index.js'

test('nothing is committable until the first offset is done', () => {
  const w = new PartitionWatermark()
  w.track('10')
  w.track('11')
  assert.equal(w.commitOffset, null)
  w.complete('11')
  assert.equal(w.commitOffset, null, 'a later offset done does not move the watermark past an earlier pending one')
  w.complete('10')
  assert.equal(w.commitOffset, '12')
  assert.equal(w.pendingCount, 0)
})

test('out-of-order completion: the watermark follows the contiguous done prefix', () => {
  const w = new PartitionWatermark()
  for (let i = 0; i < 6; i++) w.track(String(i))
  const steps: Array<[number, string | null]> = [[2, null], [0, '1'], [1, '3'], [5, '3'], [3, '4'], [4, '6']]
  for (const [done, expected] of steps) {
    w.complete(String(done))
    assert.equal(w.commitOffset, expected, `after completing ${done}`)
  }
})

test('gaps in offsets (compaction, control records) do not block the watermark', () => {
  const w = new PartitionWatermark()
  w.track('5')
  w.track('7')
  w.track('100')
  w.complete('7')
  w.complete('5')
  assert.equal(w.commitOffset, '8')
  assert.equal(w.lastDone, 7n)
  w.complete('100')
  assert.equal(w.commitOffset, '101')
})

test('offsets beyond 2^53 stay exact', () => {
  const w = new PartitionWatermark()
  w.track('9007199254740993')
  w.complete('9007199254740993')
  assert.equal(w.commitOffset, '9007199254740994')
})

test('tracking a non-increasing offset is a coded error', () => {
  const w = new PartitionWatermark()
  w.track('3')
  assert.throws(() => { w.track('3') }, { code: 'GS_ERR_KAFKA' })
  assert.throws(() => { w.track('2') }, { code: 'GS_ERR_KAFKA' })
})

test('many offsets: compaction of the internal list keeps answers right', () => {
  const w = new PartitionWatermark()
  for (let i = 0; i < 5000; i++) w.track(String(i))
  for (let i = 0; i < 4999; i++) w.complete(String(i))
  assert.equal(w.commitOffset, '4999')
  assert.equal(w.pendingCount, 1)
  w.complete('4999')
  assert.equal(w.commitOffset, '5000')
})
