import assert from 'node:assert/strict'
import { expect, test } from 'vitest'
import { isGroundstreamError, type GroundstreamError } from '../../src/errors/index.js'
import { startWorker } from '../../src/shared/index.js'

const WORKER = new URL('./rpc-worker.js', import.meta.url)

test('a call is answered with its value; a coded error keeps its code', async () => {
  const rpc = await startWorker<{ loaded: string }>(WORKER, { name: 'test worker', workerData: {} })
  try {
    expect(rpc.info).toStrictEqual({ loaded: 'fake' })
    expect(await rpc.call('echo', { a: [1, 2] })).toStrictEqual({ a: [1, 2] })
    await assert.rejects(rpc.call('fail', null), (error) => isGroundstreamError(error, 'GS_ERR_INFERENCE') && /bad input/.test(error.message))
    expect(rpc.pending).toBe(0)
  } finally {
    await rpc.close()
  }
})

test('one message answered per id: an early answer stands when the rest fail', async () => {
  const rpc = await startWorker(WORKER, { name: 'test worker', workerData: {} })
  try {
    const seen: Array<readonly number[]> = []
    const answers = rpc.callEach<string>('each', 3, (ids) => { seen.push(ids); return { payload: null } })
    expect(seen[0]?.length).toBe(3)
    const settled = await Promise.allSettled(answers)
    expect(settled.map((s) => s.status)).toStrictEqual(['fulfilled', 'rejected', 'rejected'])
    expect((settled[0] as PromiseFulfilledResult<string>).value).toBe('first')
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/batch failed/)
  } finally {
    await rpc.close()
  }
})

test('a worker that fails to load rejects start with its code and the path, and leaves', async () => {
  await assert.rejects(startWorker(WORKER, { name: 'test worker', workerData: { fail: true } }), (error) => {
    assert.ok(isGroundstreamError(error, 'GS_ERR_MODEL_MISSING'))
    expect(error.message).toMatch(/test worker failed to load models: .*\/nonexistent\/model\.onnx/)
    return true
  })
})

test('a worker that dies fails its calls with GS_ERR_WORKER_CLOSED and tells onGone; later calls fail at once', async () => {
  const rpc = await startWorker(WORKER, { name: 'test worker', workerData: {} })
  const gone: GroundstreamError[] = []
  rpc.onGone((error) => gone.push(error))
  await assert.rejects(rpc.call('die', null), (error) => isGroundstreamError(error, 'GS_ERR_WORKER_CLOSED') && /test worker exited with code 3/.test(error.message))
  expect(gone.length).toBe(1)
  await assert.rejects(rpc.call('echo', 1), (error) => isGroundstreamError(error, 'GS_ERR_WORKER_CLOSED'))
  await rpc.close()
})

test('close lets calls already sent finish, is idempotent, and refuses new calls', async () => {
  const rpc = await startWorker(WORKER, { name: 'test worker', workerData: {} })
  let goneCalled = false
  rpc.onGone(() => { goneCalled = true })
  const slow = rpc.call('slow', null)
  const closing = rpc.close()
  await assert.rejects(rpc.call('echo', 1), (error) => isGroundstreamError(error, 'GS_ERR_WORKER_CLOSED'))
  expect(await slow).toBe('slow done')
  await closing
  await rpc.close()
  expect(goneCalled).toBe(false)
})
