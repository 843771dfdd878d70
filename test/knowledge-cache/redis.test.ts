// Needs a real Redis: REDIS_URL (scripts/services.sh exports it). Each test
// uses its own key prefix so runs never see each other's entries.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Redis } from 'ioredis'
import { createKnowledgeCache, createKnowledgeRedis } from '../../src/knowledge-cache/index.js'
import type { RedisErrorEvent, TierLookupEvent } from '../../src/knowledge-cache/index.js'
import { tableSource } from '../../bench/support/knowledge.js'
import { fakeClock, testConfig } from './fakes.js'
import { needService } from '../support/skip.js'

const REDIS_URL = process.env.REDIS_URL
const skip = REDIS_URL === undefined ? 'REDIS_URL is not set: start Redis with `scripts/services.sh start redis` and export its env' : false
let redis: Redis | undefined
let other: Redis | undefined

beforeAll(async () => {
  if (REDIS_URL === undefined) return
  redis = await createKnowledgeRedis(REDIS_URL)
  other = await createKnowledgeRedis(REDIS_URL)
})
afterAll(async () => {
  await redis?.quit()
  await other?.quit()
})

test('two cache instances share entries through Redis', async (t) => {
  needService(t, skip)
  const prefix = `gs:kc:test:${randomUUID()}:`
  const sourceA = tableSource('a', { 'bella hadid': 'Bella Hadid: model.' })
  const sourceB = tableSource('b', { 'bella hadid': 'from instance B' })
  const tiersB: TierLookupEvent[] = []
  const config = testConfig({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, redisTimeoutMs: 500 })
  const a = createKnowledgeCache(config, { sources: [sourceA], redis })
  const b = createKnowledgeCache(config, { sources: [sourceB], redis: other, instrumentation: { tierLookup: (event) => tiersB.push(event) } })
  expect((await a.lookup('#BellaHadid'))?.text).toBe('Bella Hadid: model.')
  // The write is fire-and-forget; give it a moment on the same connection order.
  await redis?.ping()
  const fromB = await b.lookup('Bella Hadid')
  expect(fromB?.text).toBe('Bella Hadid: model.')
  expect(fromB?.source).toBe('a')
  expect(sourceB.calls.length, 'instance B never asked its own source').toBe(0)
  expect(tiersB.map((event) => `${event.tier}:${event.outcome}`)).toStrictEqual(['memory:miss', 'redis:hit'])
  const ttl = await redis?.pttl(`${prefix}k:bella hadid`)
  expect(ttl !== undefined && ttl > 0 && ttl <= 24 * 3600 * 1000).toBeTruthy()
  await a.close()
  await b.close()
})

test('negative entries are shared too, with the negative TTL', async (t) => {
  needService(t, skip)
  const prefix = `gs:kc:test:${randomUUID()}:`
  const config = testConfig({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, negativeTtlSeconds: 120 })
  const sourceA = tableSource('a', {})
  const sourceB = tableSource('b', {})
  const a = createKnowledgeCache(config, { sources: [sourceA], redis })
  const b = createKnowledgeCache(config, { sources: [sourceB], redis: other })
  expect(await a.lookup('Nobody Known')).toBe(null)
  await redis?.ping()
  expect(await b.lookup('nobody known')).toBe(null)
  expect(sourceB.calls.length).toBe(0)
  const ttl = await redis?.pttl(`${prefix}k:nobody known`)
  expect(ttl !== undefined && ttl > 0 && ttl <= 120_000).toBeTruthy()
  await a.close()
  await b.close()
})

test('a Redis hit keeps its remaining lifetime in process', async (t) => {
  needService(t, skip)
  const prefix = `gs:kc:test:${randomUUID()}:`
  const clock = fakeClock(Date.now())
  const config = testConfig({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, ttlSeconds: 100 })
  const a = createKnowledgeCache(config, { sources: [tableSource('a', { acme: 'Acme.' })], redis, clock })
  await a.lookup('Acme')
  await redis?.ping()
  clock.advance(60_000)
  const sourceB = tableSource('b', { acme: 'Acme from B.' })
  const b = createKnowledgeCache(config, { sources: [sourceB], redis: other, clock })
  expect((await b.lookup('Acme'))?.text).toBe('Acme.')
  clock.advance(40_000)
  expect((await b.lookup('Acme'))?.text, 'the entry expired at the original deadline').toBe('Acme from B.')
  await a.close()
  await b.close()
})

test('an unreachable Redis is a miss, not a stall', async () => {
  const events: RedisErrorEvent[] = []
  const hung = {
    get: () => new Promise<string | null>(() => undefined),
    set: () => Promise.reject(new Error('down'))
  }
  const source = tableSource('table', { acme: 'Acme.' })
  const cache = createKnowledgeCache(testConfig({ redisTimeoutMs: 30 }), { sources: [source], redis: hung, instrumentation: { redisError: (event) => events.push(event) } })
  const started = performance.now()
  expect((await cache.lookup('Acme'))?.text).toBe('Acme.')
  expect(performance.now() - started < 300).toBeTruthy()
  await new Promise((resolve) => setImmediate(resolve))
  expect(events.map((event) => `${event.operation}:${event.code}`)).toStrictEqual(['get:timeout', 'set:Error'])
  await cache.close()
})

test('createKnowledgeRedis names the address when Redis is not there', async () => {
  await assert.rejects(createKnowledgeRedis('redis://:secret@127.0.0.1:9/0', { connectTimeoutMs: 300 }), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_CONFIG')
    expect(error.message).toMatch(/127\.0\.0\.1:9/)
    expect(error.message).not.toMatch(/secret/)
    return true
  })
})

test('createKnowledgeRedis with onUnavailable reports a missing Redis and returns a client that fails fast (the service runs in-process)', async () => {
  const reported: Array<Error & { code?: string }> = []
  const client = await createKnowledgeRedis('redis://:secret@127.0.0.1:9/0', { connectTimeoutMs: 300, onError: () => {}, onUnavailable: (error) => reported.push(error) })
  try {
    expect(reported.length).toBe(1)
    expect(reported[0]?.code).toBe('GS_ERR_CONFIG')
    expect(reported[0]?.message ?? '').not.toMatch(/secret/)
    await expect(client.get('k')).rejects.toThrow()
  } finally {
    client.disconnect()
  }
})
