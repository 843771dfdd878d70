import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { createCatalogueSource, createKnowledgeCache, createKnowledgeStage } from '../../src/knowledge-cache/index.js'
import type { SourceFetchEvent, TierLookupEvent } from '../../src/knowledge-cache/index.js'
import { tableSource, work } from '../../bench/support/knowledge.js'
import { failingSource, fakeClock, hangingSource, testConfig } from './fakes.js'

test('1,000 concurrent lookups of one cold key cause one source fetch', async () => {
  const source = tableSource('slow', { 'bella hadid': 'Bella Hadid: fashion model.' }, 20)
  const cache = createKnowledgeCache(testConfig(), { sources: [source] })
  await cache.init()
  const surfaces = Array.from({ length: 1000 }, (_, i) => ['#BellaHadid', 'Bella Hadid', "bella hadid's", '@bella_hadid'][i % 4] ?? '')
  const results = await Promise.all(surfaces.map((surface) => cache.lookup(surface)))
  expect(source.calls.length).toBe(1)
  expect(results.every((result) => result?.text === 'Bella Hadid: fashion model.' && result.key === 'bella hadid')).toBeTruthy()
  expect(cache.stats().inFlight).toBe(0)
  await cache.close()
})

test('sources are asked in order and the first answer wins, trimmed to the prompt budget', async () => {
  const first = tableSource('first', { paris: 'one two three four five six seven eight nine ten' })
  const second = tableSource('second', { paris: 'never used', lyon: 'Lyon: city in France.' })
  const cache = createKnowledgeCache(testConfig({ promptTokenBudget: 4 }), { sources: [first, second] })
  expect(await cache.lookup('Paris')).toStrictEqual({ key: 'paris', canonicalId: 'first:paris', title: 'paris', text: 'one two three four', source: 'first' })
  expect(second.calls.length).toBe(0)
  expect((await cache.lookup('Lyon'))?.source).toBe('second')
  expect(first.calls).toStrictEqual(['paris', 'lyon'])
  await cache.close()
})

test('positive and negative entries expire at their TTLs on the injected clock', async () => {
  const clock = fakeClock()
  const source = tableSource('table', {})
  const cache = createKnowledgeCache(testConfig({ ttlSeconds: 600, negativeTtlSeconds: 60 }), { sources: [source], clock })
  expect(await cache.lookup('Acme')).toBe(null)
  expect(await cache.lookup('acme')).toBe(null)
  expect(source.calls.length, 'the miss is remembered').toBe(1)

  source.answers.set('acme', { canonicalId: null, title: 'Acme', text: 'Acme: a company.' })
  clock.advance(59_999)
  expect(await cache.lookup('Acme')).toBe(null)
  clock.advance(1)
  expect((await cache.lookup('Acme'))?.text).toBe('Acme: a company.')
  expect(source.calls.length).toBe(2)

  clock.advance(599_999)
  await cache.lookup('Acme')
  expect(source.calls.length).toBe(2)
  clock.advance(1)
  await cache.lookup('Acme')
  expect(source.calls.length, 'expired positive entry is fetched again').toBe(3)
  await cache.close()
})

test('a failing source falls through to the next, and an all-failed miss is retried sooner', async () => {
  const clock = fakeClock()
  const events: SourceFetchEvent[] = []
  const broken = failingSource()
  const cache = createKnowledgeCache(testConfig({ negativeTtlSeconds: 3600 }), { sources: [broken], clock, instrumentation: { sourceFetch: (event) => events.push(event) } })
  expect(await cache.lookup('Acme')).toBe(null)
  expect(await cache.lookup('Acme')).toBe(null)
  expect(broken.calls.length).toBe(1)
  clock.advance(30_000)
  await cache.lookup('Acme')
  expect(broken.calls.length, 'error misses live 30 s, not the negative TTL').toBe(2)
  expect(events.map((event) => [event.source, event.outcome, event.errorCode])).toStrictEqual([['broken', 'error', 'GS_ERR_KNOWLEDGE_SOURCE'], ['broken', 'error', 'GS_ERR_KNOWLEDGE_SOURCE']])
  await cache.close()
})

test('a dead source never stalls a lookup beyond its timeout', async () => {
  const dead = hangingSource()
  const backup = tableSource('backup', { acme: 'Acme: a company.' })
  const events: SourceFetchEvent[] = []
  const cache = createKnowledgeCache(testConfig({ sourceTimeoutMs: 100, stageTimeoutMs: 1000 }), { sources: [dead, backup], instrumentation: { sourceFetch: (event) => events.push(event) } })
  const started = performance.now()
  const answer = await cache.lookup('Acme')
  const elapsed = performance.now() - started
  expect(answer?.source).toBe('backup')
  expect(elapsed >= 95 && elapsed < 400, `took ${elapsed} ms`).toBeTruthy()
  expect(events[0]?.outcome).toBe('timeout')
  expect(events[0]?.errorCode).toBe('GS_ERR_KNOWLEDGE_TIMEOUT')
  await cache.close()
})

test('the stage fills knowledge aligned with candidates and never waits past its deadline', async () => {
  const dead = hangingSource()
  const table = tableSource('table', { paris: 'Paris: capital of France.' })
  // Dead source first: every key burns its source timeout, which exceeds the stage deadline.
  const stage = createKnowledgeStage(testConfig({ sourceTimeoutMs: 300, stageTimeoutMs: 300 }), { sources: [table, dead] })
  await stage.init()
  const fast = await stage.run([work('p1', ['Paris', 'Nowhere Land', '#Paris'])])
  expect(fast[0]?.candidates.length).toBe(3)
  expect(fast[0]?.candidates[0]?.knowledge?.text).toBe('Paris: capital of France.')
  // "Nowhere Land" is unknown to the table and then hangs in the dead source: the deadline answers null.
  expect(fast[0]?.candidates[1]?.knowledge).toBe(null)
  expect(fast[0]?.candidates[2]?.knowledge?.key).toBe('paris')
  await stage.close()

  const tight = createKnowledgeStage(testConfig({ sourceTimeoutMs: 150, stageTimeoutMs: 150 }), { sources: [dead] })
  await tight.init()
  const started = performance.now()
  const items = await tight.run([work('p2', ['A', 'B', 'C']), work('p3', [])])
  const elapsed = performance.now() - started
  expect(elapsed < 450, `stage took ${elapsed} ms`).toBeTruthy()
  expect(items.map((item) => item.candidates.map((record) => record.knowledge))).toStrictEqual([[null, null, null], []])
  await tight.close()
})

test('a disabled stage fills nulls without asking anything', async () => {
  const table = tableSource('table', { paris: 'Paris.' })
  const stage = createKnowledgeStage(testConfig({ enabled: false }), { sources: [table] })
  await stage.init()
  const [item] = await stage.run([work('p1', ['Paris'])])
  expect(item?.candidates.map((record) => record.knowledge)).toStrictEqual([null])
  expect(table.calls.length).toBe(0)
  await stage.close()
})

test('catalogue aliases share one entry and canonical id', async () => {
  const tiers: TierLookupEvent[] = []
  const catalogue = createCatalogueSource({ entries: [{ id: 'acme-rockets', name: 'Acme Rockets', aliases: ['Acme', '@AcmeRockets'], type: 'ORG', description: 'Rocket maker.' }] })
  let calls = 0
  const counted = { ...catalogue, lookup: async (query: Parameters<typeof catalogue.lookup>[0]) => { calls++; return await catalogue.lookup(query) } }
  const cache = createKnowledgeCache(testConfig(), { sources: [counted], instrumentation: { tierLookup: (event) => tiers.push(event) } })
  await cache.init()
  const a = await cache.lookup('Acme')
  const b = await cache.lookup('#AcmeRockets')
  const c = await cache.lookup('acme rockets')
  expect(calls).toBe(1)
  expect(a?.canonicalId).toBe('acme-rockets')
  expect(b?.canonicalId).toBe('acme-rockets')
  expect(c?.text).toBe('Acme Rockets (organisation): Rocket maker.')
  expect([a?.key, b?.key]).toStrictEqual(['acme', 'acme rockets'])
  expect(tiers.map((event) => `${event.tier}:${event.outcome}`)).toStrictEqual(['memory:miss', 'source:hit', 'memory:hit', 'memory:hit'])
  await cache.close()
})

test('warm-up loads entries so the first lookup is a hit', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-kc-'))
  try {
    const file = path.join(dir, 'warm.jsonl')
    await writeFile(file, [
      JSON.stringify({ key: 'acme', text: 'Acme: warmed.', canonicalId: 'acme', source: 'catalogue' }),
      JSON.stringify({ surface: '#BellaHadid', text: 'Bella: warmed.' }),
      'not json',
      ''
    ].join('\n'))
    const source = tableSource('table', {})
    const warnings: unknown[] = []
    const cache = createKnowledgeCache(testConfig({ warmUpPath: file }), { sources: [source], logger: { warn: (object) => warnings.push(object) } })
    await cache.init()
    expect((await cache.lookup('ACME'))?.text).toBe('Acme: warmed.')
    expect((await cache.lookup('Bella Hadid'))?.source).toBe('warm-up')
    expect(source.calls.length).toBe(0)
    expect(warnings.length).toBe(1)
    await cache.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a caller that gives up gets null at once while the shared fetch still fills the cache', async () => {
  const source = tableSource('slow', { acme: 'Acme.' }, 100)
  const cache = createKnowledgeCache(testConfig(), { sources: [source] })
  const controller = new AbortController()
  const pending = cache.lookup('Acme', { signal: controller.signal })
  controller.abort()
  expect(await pending).toBe(null)
  await new Promise((resolve) => setTimeout(resolve, 150))
  expect((await cache.lookup('Acme'))?.text).toBe('Acme.')
  expect(source.calls.length).toBe(1)
  await cache.close()
  await expect(cache.lookup('Acme')).rejects.toThrow(/closed/)
})
