// Knowledge-cache throughput, side by side in one run: candidates joined per
// second through the `knowledge` stage on in-process hits, on Redis hits (a
// second instance whose LRU is too small to hold anything), and on misses
// against a local stand-in for the Wikipedia summary API, at 0 ms and at a
// simulated WAN latency. Set beside SCANNER's reported 1,300 sentences/s for
// Wikipedia retrieval. Also the heap taken by the offline source indexes.
//
//   npm run build && node dist/bench/knowledge-cache.js [--seconds 2] [--latency-ms 50]
//   (REDIS_URL=redis://... enables the Redis row)
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import {
  createCitiesSource, createCountriesSource, createKnowledgeCache, createKnowledgeRedis, createKnowledgeStage,
  createWikipediaSource, createWordnetSource, parseKnowledgeConfig
} from '../src/knowledge-cache/index.js'
import type { KnowledgeSource, RedisLike } from '../src/knowledge-cache/index.js'
import type { PostWork } from '../src/pipeline/types.js'
import { startFixtureServer } from './support/wikipedia-server.js'
import { tableSource, work } from './support/knowledge.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    'latency-ms': { type: 'string', default: '50' },
    keys: { type: 'string', default: '5000' },
    'posts-per-batch': { type: 'string', default: '32' },
    'candidates-per-post': { type: 'string', default: '3' }
  }
})
const seconds = Number(values.seconds)
const latencyMs = Number(values['latency-ms'])
const keyCount = Number(values.keys)
const postsPerBatch = Number(values['posts-per-batch'])
const perPost = Number(values['candidates-per-post'])

const keys = Array.from({ length: keyCount }, (_, i) => `Entity Number ${i}`)
const table = Object.fromEntries(keys.map((key) => [key.toLowerCase(), `${key}: a benchmark entity with a description about as long as a trimmed knowledge text, roughly forty words of it.`]))

interface Row {
  scenario: string
  candidatesPerSecond: number
  p50BatchMs: number
  p99BatchMs: number
  note: string
}

/** Runs batches until the time is up; `nextSurface` picks each candidate's text. */
async function drive (scenario: string, run: (batch: PostWork[]) => Promise<PostWork[]>, nextSurface: () => string, note: string, limitSeconds = seconds): Promise<Row> {
  const durations: number[] = []
  let candidates = 0
  const started = performance.now()
  let batchNo = 0
  while (performance.now() - started < limitSeconds * 1000) {
    const batch = Array.from({ length: postsPerBatch }, (_, p) => work(`b${batchNo}-${p}`, Array.from({ length: perPost }, nextSurface)))
    const t0 = performance.now()
    const out = await run(batch)
    durations.push(performance.now() - t0)
    candidates += out.reduce((sum, item) => sum + item.candidates.length, 0)
    batchNo++
  }
  const elapsed = (performance.now() - started) / 1000
  durations.sort((a, b) => a - b)
  const pick = (q: number): number => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0
  return { scenario, candidatesPerSecond: candidates / elapsed, p50BatchMs: pick(0.5), p99BatchMs: pick(0.99), note }
}

function randomKey (): string {
  return keys[Math.floor(Math.random() * keys.length)] ?? 'x'
}

async function heapOf (make: () => KnowledgeSource): Promise<{ name: string, heapMB: number, estimateMB: number, initMs: number }> {
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  const started = performance.now()
  const source = make()
  await source.init?.()
  const initMs = performance.now() - started
  global.gc?.()
  const heap = process.memoryUsage().heapUsed - before
  const result = { name: source.name, heapMB: heap / 1e6, estimateMB: (source.memoryBytes?.() ?? 0) / 1e6, initMs }
  await source.close?.()
  return result
}

async function main (): Promise<void> {
  const rows: Row[] = []
  const base = { sources: [], stageTimeoutMs: 10_000, sourceTimeoutMs: 5_000, maxConcurrentLookups: 64 }

  // In-process hits: every key warmed first.
  {
    const source = tableSource('table', table)
    const config = parseKnowledgeConfig(base)
    const cache = createKnowledgeCache(config, { sources: [source] })
    for (const key of keys) await cache.lookup(key)
    const stage = createKnowledgeStage(config, { cache })
    rows.push(await drive('hit, in-process LRU', (batch) => stage.run(batch), randomKey, `${keyCount} warm keys`))
    await cache.close()
  }

  // Redis hits: instance A fills Redis, instance B's LRU holds ~3 entries so nearly every lookup goes to Redis.
  const redisUrl = process.env.REDIS_URL
  if (redisUrl === undefined) {
    rows.push({ scenario: 'hit, Redis tier', candidatesPerSecond: Number.NaN, p50BatchMs: Number.NaN, p99BatchMs: Number.NaN, note: 'skipped: REDIS_URL not set' })
  } else {
    const clientA = await createKnowledgeRedis(redisUrl)
    const clientB = await createKnowledgeRedis(redisUrl)
    const prefix = `gs:kc:bench:${randomUUID()}:`
    const config = parseKnowledgeConfig({ ...base, redisUrl, redisKeyPrefix: prefix, redisTimeoutMs: 200 })
    const filler = createKnowledgeCache(config, { sources: [tableSource('table', table)], redis: clientA as RedisLike })
    for (const key of keys) await filler.lookup(key)
    await clientA.ping()
    const reader = tableSource('reader', {})
    const cacheB = createKnowledgeCache(parseKnowledgeConfig({ ...base, redisUrl, redisKeyPrefix: prefix, redisTimeoutMs: 200, lruMaxBytes: 1024, lruMaxEntryBytes: 1024 }), { sources: [reader], redis: clientB as RedisLike })
    const stage = createKnowledgeStage(config, { cache: cacheB })
    rows.push(await drive('hit, Redis tier (LRU bypassed)', (batch) => stage.run(batch), randomKey, `auto-pipelined GETs; source asked ${reader.calls.length}x`))
    await filler.close()
    await cacheB.close()
    let cursor = '0'
    do {
      const [next, found] = await clientA.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (found.length > 0) await clientA.del(...found)
    } while (cursor !== '0')
    await clientA.quit()
    await clientB.quit()
  }

  // Misses: every candidate a fresh title, fetched from the local stand-in.
  for (const latency of [0, latencyMs]) {
    for (const connections of [8, 32]) {
      const server = await startFixtureServer({ generateLatencyMs: latency })
      const config = parseKnowledgeConfig({
        ...base,
        sources: ['wikipedia'],
        wikipedia: { baseUrl: server.baseUrl, connections, rateLimitPerSecond: 10_000, rateLimitBurst: 10_000, requestTimeoutMs: 5_000 }
      })
      const wikipedia = createWikipediaSource(config.wikipedia)
      const cache = createKnowledgeCache(config, { sources: [wikipedia] })
      const stage = createKnowledgeStage(config, { cache })
      let n = 0
      rows.push(await drive(`miss, Wikipedia stand-in ${latency} ms, ${connections} conns`, (batch) => stage.run(batch), () => `Fresh Title ${n++}`, '64 lookups in flight; rate limit 10k/s'))
      await cache.close()
      await server.close()
    }
  }

  const memory = [
    await heapOf(() => createCountriesSource()),
    await heapOf(() => createCitiesSource({ minPopulation: 15_000 })),
    await heapOf(() => createWordnetSource())
  ]

  const fmt = (value: number, digits = 0): string => Number.isNaN(value) ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  process.stdout.write(`\nKnowledge cache, ${postsPerBatch} posts x ${perPost} candidates per batch, ${seconds} s per row (node ${process.version})\n\n`)
  process.stdout.write('| scenario | candidates/s | batch p50 ms | batch p99 ms | note |\n| --- | ---: | ---: | ---: | --- |\n')
  for (const row of rows) process.stdout.write(`| ${row.scenario} | ${fmt(row.candidatesPerSecond)} | ${fmt(row.p50BatchMs, 2)} | ${fmt(row.p99BatchMs, 2)} | ${row.note} |\n`)
  process.stdout.write('| SCANNER (paper), Wikipedia retrieval | 1,300 sentences/s | | | reported, not measured here |\n')
  process.stdout.write('\n| offline index | heap MB (measured) | estimate MB | init ms |\n| --- | ---: | ---: | ---: |\n')
  for (const row of memory) process.stdout.write(`| ${row.name} | ${fmt(row.heapMB, 1)} | ${fmt(row.estimateMB, 1)} | ${fmt(row.initMs)} |\n`)
  if (global.gc === undefined) process.stdout.write('\n(run with node --expose-gc for exact heap figures)\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`knowledge-cache bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exitCode = 1
})
