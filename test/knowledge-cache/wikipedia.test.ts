import assert from 'node:assert/strict'
import { afterAll, beforeAll, beforeEach, expect, test, vi } from 'vitest'
import { isGroundstreamError } from '../../src/errors/index.js'
import { WikipediaConfigSchema, createWikipediaSource } from '../../src/knowledge-cache/index.js'
import type { BreakerEvent, HttpAttemptEvent, WikipediaConfig } from '../../src/knowledge-cache/index.js'
import { startFixtureServer } from '../../bench/support/wikipedia-server.js'
import type { FixtureServer } from '../../bench/support/wikipedia-server.js'

let server: FixtureServer

beforeAll(async () => {
  server = await startFixtureServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  server.hits.clear()
})

function config (overrides: Partial<WikipediaConfig> = {}): WikipediaConfig {
  return WikipediaConfigSchema.parse({
    baseUrl: server.baseUrl,
    userAgent: 'groundstream-tests/1.0 (test suite)',
    requestTimeoutMs: 300,
    retries: 2,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    rateLimitPerSecond: 1000,
    rateLimitBurst: 1000,
    breakerFailureThreshold: 3,
    breakerResetMs: 200,
    ...overrides
  })
}

function query (display: string, timeoutMs = 2000): { key: string, display: string, signal: AbortSignal } {
  return { key: display.toLowerCase(), display, signal: AbortSignal.timeout(timeoutMs) }
}

test('fetches a summary and sends the configured user agent', async () => {
  const source = createWikipediaSource(config())
  try {
    const answer = await source.lookup(query('Bella Hadid'))
    assert.ok(answer !== null)
    expect(answer.canonicalId).toBe('wikidata:Q20675016')
    expect(answer.title).toBe('Bella Hadid')
    expect(answer.text).toMatch(/^Bella Hadid: American fashion model \(fixture\)\. Bella Hadid is an American fashion model\./)
    expect(server.hits.get('Bella_Hadid')).toBe(1)
    expect(server.userAgents.at(-1)).toBe('groundstream-tests/1.0 (test suite)')
  } finally {
    await source.close()
  }
})

test('follows a redirect to the canonical title', async () => {
  const source = createWikipediaSource(config())
  try {
    const answer = await source.lookup(query('USA'))
    expect(answer?.title).toBe('United States')
    expect(answer?.canonicalId).toBe('wikidata:Q30')
    expect(server.hits.get('USA')).toBe(1)
    expect(server.hits.get('United_States')).toBe(1)
  } finally {
    await source.close()
  }
})

test('a redirect loop stops at maxRedirects and an off-origin redirect is refused', async () => {
  const source = createWikipediaSource(config({ maxRedirects: 3, breakerFailureThreshold: 100 }))
  try {
    await assert.rejects(source.lookup(query('Loop_A')), (error) => isGroundstreamError(error, 'GS_ERR_KNOWLEDGE_SOURCE') && /more than 3/.test(error.message))
    expect((server.hits.get('Loop_A') ?? 0) + (server.hits.get('Loop_B') ?? 0)).toBe(4)
    await expect(source.lookup(query('Elsewhere'))).rejects.toThrow(/off-origin/)
  } finally {
    await source.close()
  }
})

test('disambiguation pages and 404s are "not known", not errors', async () => {
  const source = createWikipediaSource(config())
  try {
    expect(await source.lookup(query('Mercury'))).toBe(null)
    expect(await source.lookup(query('No such page here'))).toBe(null)
    expect(server.hits.get('No_such_page_here')).toBe(1)
    expect(source.breakerState).toBe('closed')
  } finally {
    await source.close()
  }
})

test('429 with Retry-After and 5xx are retried, then succeed', async () => {
  const attempts: HttpAttemptEvent[] = []
  const source = createWikipediaSource(config(), { instrumentation: { httpAttempt: (event) => attempts.push(event) }, random: () => 0.5 })
  try {
    server.script('Bella_Hadid', [{ status: 429, headers: { 'retry-after': '0' } }, { status: 503 }])
    const answer = await source.lookup(query('Bella Hadid'))
    expect(answer?.title).toBe('Bella Hadid')
    expect(server.hits.get('Bella_Hadid')).toBe(3)
    expect(attempts.map((event) => [event.status, event.attempt])).toStrictEqual([[429, 1], [503, 2], [200, 3]])
  } finally {
    await source.close()
  }
})

test('persistent 5xx gives up after the retries with the attempt count on the error', async () => {
  const source = createWikipediaSource(config({ retries: 2, breakerFailureThreshold: 100 }))
  try {
    server.script('Bella_Hadid', [{ status: 500 }], true)
    await assert.rejects(source.lookup(query('Bella Hadid')), (error) => {
      assert.ok(isGroundstreamError(error, 'GS_ERR_KNOWLEDGE_SOURCE'))
      expect(error.details.attempts).toBe(3)
      expect(error.details.status).toBe(500)
      return true
    })
    expect(server.hits.get('Bella_Hadid')).toBe(3)
  } finally {
    server.script('Bella_Hadid', [])
    await source.close()
  }
})

test('a non-429 4xx is not retried', async () => {
  const source = createWikipediaSource(config())
  try {
    server.script('Bella_Hadid', [{ status: 403 }])
    await expect(source.lookup(query('Bella Hadid'))).rejects.toThrow(/answered 403/)
    expect(server.hits.get('Bella_Hadid')).toBe(1)
    expect(source.breakerState).toBe('closed')
  } finally {
    await source.close()
  }
})

test('a slow upstream times out per request, and the caller deadline bounds retries', async () => {
  const source = createWikipediaSource(config({ requestTimeoutMs: 100, retries: 5, retryBaseDelayMs: 10, breakerFailureThreshold: 100 }))
  try {
    server.script('Bella_Hadid', [{ status: 200, delayMs: 1_000, body: '{}' }], true)
    const started = Date.now()
    await assert.rejects(source.lookup(query('Bella Hadid', 250)), (error) => isGroundstreamError(error, 'GS_ERR_KNOWLEDGE_TIMEOUT'))
    const elapsed = Date.now() - started
    expect(elapsed < 600, `took ${elapsed} ms`).toBeTruthy()
    // 100 ms per attempt under a 250 ms deadline: at most three attempts started.
    expect((server.hits.get('Bella_Hadid') ?? 0) <= 3).toBeTruthy()
  } finally {
    server.script('Bella_Hadid', [])
    await source.close()
  }
})

test('the breaker opens after consecutive failures, short-circuits, then recovers half-open', async () => {
  const states: BreakerEvent['state'][] = []
  // The breaker (cockatiel's) times itself with Date.now(): only the date is faked, timers and sockets stay real.
  vi.useFakeTimers({ toFake: ['Date'] })
  let now = 1_000_000
  vi.setSystemTime(now)
  const source = createWikipediaSource(config({ retries: 0, breakerFailureThreshold: 3, breakerResetMs: 30_000 }), {
    instrumentation: { breaker: (event) => states.push(event.state) }
  })
  try {
    server.script('Bella_Hadid', [{ status: 502 }], true)
    for (let i = 0; i < 3; i++) await expect(source.lookup(query('Bella Hadid'))).rejects.toThrow(/answered 502/)
    expect(source.breakerState).toBe('open')
    await assert.rejects(source.lookup(query('Bella Hadid')), (error) => isGroundstreamError(error, 'GS_ERR_CIRCUIT_OPEN'))
    expect(server.hits.get('Bella_Hadid'), 'an open breaker sends nothing').toBe(3)

    vi.setSystemTime(now += 30_000)
    expect(source.breakerState).toBe('half_open')
    // The trial fails: open again without waiting for three more failures.
    await expect(source.lookup(query('Bella Hadid'))).rejects.toThrow(/answered 502/)
    expect(source.breakerState).toBe('open')

    vi.setSystemTime(now += 30_000)
    server.script('Bella_Hadid', [])
    const answer = await source.lookup(query('Bella Hadid'))
    expect(answer?.title).toBe('Bella Hadid')
    expect(source.breakerState).toBe('closed')
    expect(states).toStrictEqual(['open', 'half_open', 'open', 'half_open', 'closed'])
  } finally {
    vi.useRealTimers()
    server.script('Bella_Hadid', [])
    await source.close()
  }
})

test('connection refused counts as a retriable failure', async () => {
  const source = createWikipediaSource(config({ baseUrl: 'http://127.0.0.1:9/api/rest_v1', retries: 1 }))
  try {
    await assert.rejects(source.lookup(query('Bella Hadid')), (error) => isGroundstreamError(error, 'GS_ERR_KNOWLEDGE_SOURCE') && error.details.attempts === 2)
  } finally {
    await source.close()
  }
})

test('the rate limit spaces requests out', async () => {
  const source = createWikipediaSource(config({ rateLimitPerSecond: 20, rateLimitBurst: 1 }))
  try {
    const started = Date.now()
    await Promise.all(['Bella Hadid', 'Acme Rockets', 'United States', 'Mercury'].map((title) => source.lookup(query(title))))
    // Burst 1 at 20/s: the fourth request waits three intervals of 50 ms.
    expect(Date.now() - started >= 140, `took ${Date.now() - started} ms`).toBeTruthy()
  } finally {
    await source.close()
  }
})
