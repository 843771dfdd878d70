// The tiered cache (in-process LRU + optional Redis) and the single flight the
// knowledge cache and the image-analysis cache are built on. Redis here is an
// in-memory stand-in with the two calls the tier makes; the real Redis runs in
// test/knowledge-cache/redis.test.ts and test/images/analysis-cache.test.ts.
import { expect, test } from 'vitest'
import { createTieredCache, SingleFlight, unlessAborted, type RedisGetSet } from '../../src/shared/index.js'
import { fakeClock } from '../knowledge-cache/fakes.js'

function mapRedis (): RedisGetSet & { values: Map<string, string>, ttls: Map<string, number> } {
  const values = new Map<string, string>()
  const ttls = new Map<string, number>()
  return {
    values,
    ttls,
    get: async (key) => values.get(key) ?? null,
    set: async (key, value, _mode, ttlMs) => { values.set(key, value); ttls.set(key, ttlMs) }
  }
}

const decodeText = (raw: unknown): string | undefined => typeof raw === 'string' ? raw : undefined

test('a value is kept in process until its deadline, and shared through Redis with it', async () => {
  const clock = fakeClock()
  const redis = mapRedis()
  const a = createTieredCache<string>({ maxBytes: 10_000, sizeOf: (v) => v.length, decode: decodeText, clock, redis, redisKeyPrefix: 'p:', redisTimeoutMs: 100 })
  a.set('k', 'value', 60_000)
  expect(a.local('k')).toBe('value')
  expect(redis.ttls.get('p:k')).toBe(60_000)
  clock.advance(20_000)
  const b = createTieredCache<string>({ maxBytes: 10_000, sizeOf: (v) => v.length, decode: decodeText, clock, redis, redisKeyPrefix: 'p:', redisTimeoutMs: 100 })
  expect(b.local('k')).toBe(undefined)
  expect(await b.shared('k')).toBe('value')
  expect(b.local('k'), 'a Redis hit is kept in process').toBe('value')
  clock.advance(40_000)
  expect(b.local('k'), 'with the remaining lifetime, not a fresh one').toBe(undefined)
  expect(await b.shared('k'), 'expired in Redis terms too').toBe(undefined)
  a.set('private', 'v', 1000, { share: false })
  expect(redis.values.has('p:private')).toBe(false)
})

test('Redis that hangs, fails or holds something else is a miss, reported, never an error', async () => {
  const errors: string[] = []
  const hung: RedisGetSet = { get: async () => await new Promise<string | null>(() => undefined), set: async () => { throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' }) } }
  const cache = createTieredCache<string>({ maxBytes: 1000, sizeOf: (v) => v.length, decode: decodeText, redis: hung, redisTimeoutMs: 20, onRedisError: (op, code) => errors.push(`${op}:${code}`) })
  expect(await cache.shared('k')).toBe(undefined)
  cache.set('k', 'v', 1000)
  await new Promise((resolve) => setImmediate(resolve))
  expect(errors).toStrictEqual(['get:timeout', 'set:ECONNREFUSED'])
  const redis = mapRedis()
  redis.values.set('bad', 'not json').set('old', JSON.stringify('a value of another format')).set('wrong', JSON.stringify({ value: 3, expiresAt: Date.now() + 1000 }))
  const reader = createTieredCache<string>({ maxBytes: 1000, sizeOf: (v) => v.length, decode: decodeText, redis, redisTimeoutMs: 100 })
  for (const key of ['bad', 'old', 'wrong', 'absent']) expect(await reader.shared(key), key).toBe(undefined)
  expect(createTieredCache<string>({ maxBytes: 1000, sizeOf: () => 1, decode: decodeText, redisTimeoutMs: 1 }).sharing).toBe(false)
})

test('the in-process tier is bounded in bytes and, when asked, in entries', () => {
  const bytes = createTieredCache<string>({ maxBytes: 2000, sizeOf: (v) => v.length, decode: decodeText, redisTimeoutMs: 1 })
  for (let i = 0; i < 50; i++) bytes.set(`k${i}`, 'x'.repeat(100), 60_000)
  expect(bytes.bytes <= 2000 && bytes.entries < 50 && bytes.local('k49') !== undefined && bytes.local('k0') === undefined).toBeTruthy()
  const counted = createTieredCache<string>({ maxBytes: 1_000_000, maxEntries: 3, sizeOf: () => 1, decode: decodeText, redisTimeoutMs: 1 })
  for (const key of ['a', 'b', 'c', 'd']) counted.set(key, key, 60_000)
  expect(['a', 'b', 'c', 'd'].map((key) => counted.local(key) ?? null)).toStrictEqual([null, 'b', 'c', 'd'])
})

test('one flight per key: joiners share it, and it leaves when it settles', async () => {
  const flights = new SingleFlight<number>()
  let runs = 0
  let release!: (value: number) => void
  const first = flights.run('k', async () => { runs++; return await new Promise<number>((resolve) => { release = resolve }) })
  const second = flights.run('k', async () => { runs++; return 0 })
  expect([first.joined, second.joined, flights.size]).toStrictEqual([false, true, 1])
  release(7)
  expect(await Promise.all([first.promise, second.promise])).toStrictEqual([7, 7])
  expect(runs).toBe(1)
  expect(flights.size).toBe(0)
  const failed = flights.run('k', async () => { throw new Error('boom') })
  await expect(failed.promise).rejects.toThrow(/boom/)
  expect(flights.size, 'a failed flight leaves too').toBe(0)
  expect(await flights.run('k', async () => 8).promise).toBe(8)
})

test('a caller can stop waiting for a flight; the flight goes on', async () => {
  let release!: (value: string) => void
  const work = new Promise<string>((resolve) => { release = resolve })
  const controller = new AbortController()
  const waiting = unlessAborted(work, controller.signal, () => 'gave up')
  controller.abort()
  expect(await waiting).toBe('gave up')
  release('done')
  expect(await work).toBe('done')
  await expect(unlessAborted(new Promise<string>(() => undefined), AbortSignal.abort(), () => { throw new Error('timeout') })).rejects.toThrow(/timeout/)
  expect(await unlessAborted(Promise.resolve('fast'), new AbortController().signal, () => 'late')).toBe('fast')
})
