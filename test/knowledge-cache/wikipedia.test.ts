import assert from 'node:assert/strict'
import { afterAll, beforeAll, beforeEach, test, vi } from 'vitest'
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
    assert.equal(answer.canonicalId, 'wikidata:Q20675016')
    assert.equal(answer.title, 'Bella Hadid')
    assert.match(answer.text, /^Bella Hadid: American fashion model \(fixture\)\. Bella Hadid is an American fashion model\./)
    assert.equal(server.hits.get('Bella_Hadid'), 1)
    assert.equal(server.userAgents.at(-1), 'groundstream-tests/1.0 (test suite)')
  } finally {
    await source.close()
  }
})

test('follows a redirect to the canonical title', async () => {
  const source = createWikipediaSource(config())
  try {
    const answer = await source.lookup(query('USA'))
    assert.equal(answer?.title, 'United States')
    assert.equal(answer?.canonicalId, 'wikidata:Q30')
    assert.equal(server.hits.get('USA'), 1)
    assert.equal(server.hits.get('United_States'), 1)
  } finally {
    await source.close()
  }
})

test('a redirect loop stops at maxRedirects and an off-origin redirect is refused', async () => {
  const source = createWikipediaSource(config({ maxRedirects: 3, breakerFailureThreshold: 100 }))
  try {
    await assert.rejects(source.lookup(query('Loop_A')), (error) => isGroundstreamError(error, 'GS_ERR_KNOWLEDGE_SOURCE') && /more than 3/.test(error.message))
    assert.equal((server.hits.get('Loop_A') ?? 0) + (server.hits.get('Loop_B') ?? 0), 4)
    await assert.rejects(source.lookup(query('Elsewhere')), /off-origin/)
  } finally {
    await source.close()
  }
})

test('disambiguation pages and 404s are "not known", not errors', async () => {
  const source = createWikipediaSource(config())
  try {
    assert.equal(await source.lookup(query('Mercury')), null)
    assert.equal(await source.lookup(query('No such page here')), null)
    assert.equal(server.hits.get('No_such_page_here'), 1)
    assert.equal(source.breakerState, 'closed')
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
    assert.equal(answer?.title, 'Bella Hadid')
    assert.equal(server.hits.get('Bella_Hadid'), 3)
    assert.deepEqual(attempts.map((event) => [event.status, event.attempt]), [[429, 1], [503, 2], [200, 3]])
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
      assert.equal(error.details.attempts, 3)
      assert.equal(error.details.status, 500)
      return true
    })
    assert.equal(server.hits.get('Bella_Hadid'), 3)
  } finally {
    server.script('Bella_Hadid', [])
    await source.close()
  }
})

test('a non-429 4xx is not retried', async () => {
  const source = createWikipediaSource(config())
  try {
    server.script('Bella_Hadid', [{ status: 403 }])
    await assert.rejects(source.lookup(query('Bella Hadid')), /answered 403/)
    assert.equal(server.hits.get('Bella_Hadid'), 1)
    assert.equal(source.breakerState, 'closed')
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
    assert.ok(elapsed < 600, `took ${elapsed} ms`)
    // 100 ms per attempt under a 250 ms deadline: at most three attempts started.
    assert.ok((server.hits.get('Bella_Hadid') ?? 0) <= 3)
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
    for (let i = 0; i < 3; i++) await assert.rejects(source.lookup(query('Bella Hadid')), /answered 502/)
    assert.equal(source.breakerState, 'open')
    await assert.rejects(source.lookup(query('Bella Hadid')), (error) => isGroundstreamError(error, 'GS_ERR_CIRCUIT_OPEN'))
    assert.equal(server.hits.get('Bella_Hadid'), 3, 'an open breaker sends nothing')

    vi.setSystemTime(now += 30_000)
    assert.equal(source.breakerState, 'half_open')
    // The trial fails: open again without waiting for three more failures.
    await assert.rejects(source.lookup(query('Bella Hadid')), /answered 502/)
    assert.equal(source.breakerState, 'open')

    vi.setSystemTime(now += 30_000)
    server.script('Bella_Hadid', [])
    const answer = await source.lookup(query('Bella Hadid'))
    assert.equal(answer?.title, 'Bella Hadid')
    assert.equal(source.breakerState, 'closed')
    assert.deepEqual(states, ['open', 'half_open', 'open', 'half_open', 'closed'])
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
    assert.ok(Date.now() - started >= 140, `took ${Date.now() - started} ms`)
  } finally {
    await source.close()
  }
})
