import { test } from 'vitest'
import assert from 'node:assert/strict'
import { AsyncQueue } from '../../src/pipeline/index.js'

test('put waits while the queue is full and goes on once an item is taken', async () => {
  const queue = new AsyncQueue<number>(2)
  await queue.put(1)
  await queue.put(2)
  let thirdIn = false
  const third = queue.put(3).then(() => { thirdIn = true })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(thirdIn, false)
  assert.equal(await queue.take(), 1)
  await third
  assert.equal(thirdIn, true)
  assert.deepEqual([await queue.take(), await queue.take()], [2, 3])
})

test('take waits for a put; close releases waiting takers with undefined and lets the rest drain', async () => {
  const queue = new AsyncQueue<string>(1)
  const waiting = queue.take()
  await queue.put('a')
  assert.equal(await waiting, 'a')
  await queue.put('b')
  queue.close()
  assert.equal(await queue.take(), 'b')
  assert.equal(await queue.take(), undefined)
  await assert.rejects(queue.put('c'), { code: 'GS_ERR_SHUTDOWN' })
})
