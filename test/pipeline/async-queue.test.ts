import { expect, test } from 'vitest'
import { AsyncQueue } from '../../src/pipeline/index.js'

test('put waits while the queue is full and goes on once an item is taken', async () => {
  const queue = new AsyncQueue<number>(2)
  await queue.put(1)
  await queue.put(2)
  let thirdIn = false
  const third = queue.put(3).then(() => { thirdIn = true })
  await new Promise((resolve) => setImmediate(resolve))
  expect(thirdIn).toBe(false)
  expect(await queue.take()).toBe(1)
  await third
  expect(thirdIn).toBe(true)
  expect([await queue.take(), await queue.take()]).toStrictEqual([2, 3])
})

test('take waits for a put; close releases waiting takers with undefined and lets the rest drain', async () => {
  const queue = new AsyncQueue<string>(1)
  const waiting = queue.take()
  await queue.put('a')
  expect(await waiting).toBe('a')
  await queue.put('b')
  queue.close()
  expect(await queue.take()).toBe('b')
  expect(await queue.take()).toBe(undefined)
  await expect(queue.put('c')).rejects.toMatchObject({ code: 'GS_ERR_SHUTDOWN' })
})
