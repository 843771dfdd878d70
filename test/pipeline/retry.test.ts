import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GroundstreamError } from '../../src/errors/index.js'
import { backoffDelay, retry } from '../../src/pipeline/index.js'

const noSleep = async (): Promise<void> => {}

test('retriable errors are retried with growing, capped, jittered delays', async () => {
  const delays: number[] = []
  let calls = 0
  const value = await retry(async () => {
    calls++
    if (calls < 5) throw new GroundstreamError('GS_ERR_SINK', 'busy', { retriable: true })
    return 'ok'
  }, { initialMs: 100, maxMs: 300, retries: 10, random: () => 1, sleep: noSleep, onRetry: ({ delayMs }) => delays.push(delayMs) })
  assert.equal(value, 'ok')
  assert.equal(calls, 5)
  assert.deepEqual(delays, [100, 200, 300, 300])
})

test('jitter stays within [ceiling/2, ceiling]', () => {
  for (const r of [0, 0.25, 0.999]) {
    const d = backoffDelay(3, { initialMs: 100, maxMs: 10_000, random: () => r })
    assert.ok(d >= 200 && d <= 400, `delay ${d}`)
  }
})

test('a non-retriable error is thrown at once', async () => {
  let calls = 0
  await assert.rejects(retry(async () => {
    calls++
    throw new GroundstreamError('GS_ERR_SINK_REJECTED', 'bad document')
  }, { initialMs: 1, maxMs: 1, retries: 5, sleep: noSleep }), { code: 'GS_ERR_SINK_REJECTED', message: 'bad document' })
  assert.equal(calls, 1)
})

test('the final error carries the attempt count and the last cause', async () => {
  const error = await retry(async () => {
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, { initialMs: 1, maxMs: 1, retries: 3, sleep: noSleep }).catch((e: unknown) => e)
  assert.ok(error instanceof GroundstreamError)
  assert.equal(error.details.attempts, 4)
  assert.match(error.message, /after 4 attempts/)
  assert.ok(error.cause instanceof GroundstreamError)
})

test('retries 0 means until the signal aborts', async () => {
  const controller = new AbortController()
  let calls = 0
  await assert.rejects(retry(async () => {
    calls++
    if (calls === 20) controller.abort()
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, { initialMs: 1, maxMs: 1, retries: 0, sleep: noSleep, signal: controller.signal }), { code: 'GS_ERR_SINK' })
  assert.equal(calls, 20)
})
