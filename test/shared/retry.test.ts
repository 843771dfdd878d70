import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { GroundstreamError } from '../../src/errors/index.js'
import { abortableSleep, backoffDelay, retry } from '../../src/shared/index.js'

const noSleep = async (): Promise<void> => {}

test('retriable errors are retried with growing, capped, jittered delays', async () => {
  const delays: number[] = []
  let calls = 0
  const value = await retry(async () => {
    calls++
    if (calls < 5) throw new GroundstreamError('GS_ERR_SINK', 'busy', { retriable: true })
    return 'ok'
  }, { initialDelayMs: 100, maxDelayMs: 300, retries: 10, random: () => 1, sleep: noSleep, onRetry: ({ delayMs }) => delays.push(delayMs) })
  expect(value).toBe('ok')
  expect(calls).toBe(5)
  expect(delays).toStrictEqual([100, 200, 300, 300])
})

test('jitter stays within [ceiling/2, ceiling]', () => {
  for (const r of [0, 0.25, 0.999]) {
    const d = backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 10_000, random: () => r })
    expect(d >= 200 && d <= 400, `delay ${d}`).toBeTruthy()
  }
})

test('a non-retriable error is thrown at once', async () => {
  let calls = 0
  await expect(retry(async () => {
    calls++
    throw new GroundstreamError('GS_ERR_SINK_REJECTED', 'bad document')
  }, { initialDelayMs: 1, maxDelayMs: 1, retries: 5, sleep: noSleep })).rejects.toMatchObject({ code: 'GS_ERR_SINK_REJECTED', message: 'bad document' })
  expect(calls).toBe(1)
})

test('the final error carries the attempt count and the last cause', async () => {
  const error = await retry(async () => {
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, { initialDelayMs: 1, maxDelayMs: 1, retries: 3, sleep: noSleep }).catch((e: unknown) => e)
  assert.ok(error instanceof GroundstreamError)
  expect(error.details.attempts).toBe(4)
  expect(error.message).toMatch(/after 4 attempts/)
  expect(error.cause instanceof GroundstreamError).toBeTruthy()
})

test('retries 0 means no retry at all', async () => {
  let calls = 0
  await expect(retry(async () => {
    calls++
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, { initialDelayMs: 1, maxDelayMs: 1, retries: 0, sleep: noSleep })).rejects.toMatchObject({ code: 'GS_ERR_SINK', message: 'down' })
  expect(calls).toBe(1)
})

test('retries Infinity means until the signal aborts', async () => {
  const controller = new AbortController()
  let calls = 0
  await expect(retry(async () => {
    calls++
    if (calls === 20) controller.abort()
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, { initialDelayMs: 1, maxDelayMs: 1, retries: Infinity, sleep: noSleep, signal: controller.signal })).rejects.toMatchObject({ code: 'GS_ERR_SINK' })
  expect(calls).toBe(20)
})

test('a Retry-After hint replaces the backoff, capped at maxDelayMs', async () => {
  const delays: number[] = []
  let calls = 0
  await retry(async () => {
    calls++
    if (calls === 1) throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', '429', { retriable: true, details: { retryAfterMs: 50 } })
    if (calls === 2) throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', '429', { retriable: true, details: { retryAfterMs: 60_000 } })
    return 'ok'
  }, { initialDelayMs: 1, maxDelayMs: 1_000, retries: 5, sleep: noSleep, onRetry: ({ delayMs }) => delays.push(delayMs) })
  expect(delays).toStrictEqual([50, 1_000])
})

test('library errors are wrapped where they enter, and a wrapped retriable error is retried', async () => {
  let calls = 0
  const error = await retry(async () => {
    calls++
    throw new Error('socket hang up')
  }, {
    initialDelayMs: 1,
    maxDelayMs: 1,
    retries: 2,
    sleep: noSleep,
    wrap: (e) => new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `call failed: ${(e as Error).message}`, { cause: e, retriable: true })
  }).catch((e: unknown) => e)
  expect(calls).toBe(3)
  assert.ok(error instanceof GroundstreamError)
  expect(error.code).toBe('GS_ERR_KNOWLEDGE_SOURCE')
  expect(error.details.attempts).toBe(3)
})

test('the caller deadline ends a backoff at once, with the caller\'s error', async () => {
  const controller = new AbortController()
  setTimeout(() => { controller.abort() }, 30)
  const started = Date.now()
  let calls = 0
  await expect(retry(async () => {
    calls++
    throw new GroundstreamError('GS_ERR_SINK', 'down', { retriable: true })
  }, {
    initialDelayMs: 10_000,
    maxDelayMs: 10_000,
    retries: 5,
    signal: controller.signal,
    abortError: () => new GroundstreamError('GS_ERR_SHUTDOWN', 'aborted')
  })).rejects.toMatchObject({ code: 'GS_ERR_SHUTDOWN' })
  expect(calls).toBe(1)
  expect(Date.now() - started < 2_000).toBeTruthy()
})

test('abortableSleep rejects with the signal reason', async () => {
  const controller = new AbortController()
  const reason = new Error('deadline')
  setTimeout(() => { controller.abort(reason) }, 5)
  await assert.rejects(abortableSleep(10_000, controller.signal), (e) => e === reason)
})
