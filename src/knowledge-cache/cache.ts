// The entity-keyed knowledge cache: the tiered cache (in-process byte-bounded
// LRU, then an optional shared Redis tier; src/shared/tiered-cache.ts), then
// the ordered sources. Concurrent lookups of one key share one flight,
// "nothing known" is cached too (shorter), and no tier or source can hold a
// lookup past its deadline.
import { readFile } from 'node:fs/promises'
import type { Knowledge } from '../contracts/index.js'
import { GroundstreamError, errorMessage, isGroundstreamError } from '../errors/index.js'
import { SingleFlight, approximateBytes, createTieredCache, systemClock, unlessAborted, withTimeout, type Clock, type RedisGetSet } from '../shared/index.js'
import type { KnowledgeConfig } from './config.js'
import { approximateTokenCounter, trimToBudget } from './budget.js'
import type { TokenCounter } from './budget.js'
import type { KnowledgeInstrumentation } from './instrumentation.js'
import { entityVariants, normaliseEntity, normaliseEntityKey } from '../contracts/index.js'
import { AliasTable, cacheKeyFor } from './keys.js'
import type { KnowledgeSource } from './sources/types.js'

/** What a cache entry holds: the knowledge minus the per-request key, or null for "nothing known". */
export interface CachedKnowledge {
  canonicalId: string | null
  title: string | null
  text: string
  source: string
}

/** The subset of ioredis the tier uses; an ioredis `Redis` satisfies it. */
export type RedisLike = RedisGetSet

export interface KnowledgeLogger {
  warn (object: Record<string, unknown>, message: string): void
}

export interface KnowledgeCacheDeps {
  /** Asked in this order. Build them with createSources(config). */
  sources: readonly KnowledgeSource[]
  redis?: RedisLike
  clock?: Clock
  instrumentation?: KnowledgeInstrumentation
  tokenCounter?: TokenCounter
  logger?: KnowledgeLogger
}

export interface LookupOptions {
  /** The caller stops waiting when this aborts; the shared fetch goes on and fills the cache. */
  signal?: AbortSignal
}

export interface KnowledgeCacheStats {
  entries: number
  bytes: number
  inFlight: number
  aliases: number
  sourceMemoryBytes: Record<string, number>
}

export interface KnowledgeCache {
  init (): Promise<void>
  /** Knowledge for a surface form, or null. Never throws for a source failure. */
  lookup (surface: string, options?: LookupOptions): Promise<Knowledge | null>
  /** Asks the sources directly, bypassing the tiers (used by the training dump). */
  resolve (surface: string): Promise<Knowledge | null>
  /** Loads `{key|surface, knowledge}` JSONL lines into the tiers; returns the count loaded. */
  warmUp (file: string): Promise<number>
  stats (): KnowledgeCacheStats
  close (): Promise<void>
}

/** How long an all-sources-failed miss is remembered in process: long enough to shed load, short enough to recover. */
const ERROR_NEGATIVE_TTL_MS = 30_000

/** A value read back from Redis: knowledge, "nothing known" (null), or undefined when it is neither (another version's). */
function decodeCached (raw: unknown): CachedKnowledge | null | undefined {
  if (raw === null) return null
  const value = raw as Partial<CachedKnowledge> | undefined
  if (typeof value !== 'object' || typeof value.text !== 'string' || typeof value.source !== 'string') return undefined
  return { canonicalId: typeof value.canonicalId === 'string' ? value.canonicalId : null, title: typeof value.title === 'string' ? value.title : null, text: value.text, source: value.source }
}

export function createKnowledgeCache (config: KnowledgeConfig, deps: KnowledgeCacheDeps): KnowledgeCache {
  const clock = deps.clock ?? systemClock
  const events = deps.instrumentation ?? {}
  const counter = deps.tokenCounter ?? approximateTokenCounter
  const sources = [...deps.sources]
  const aliases = new AliasTable()
  const flights = new SingleFlight<CachedKnowledge | null>()
  const tiers = createTieredCache<CachedKnowledge | null>({
    maxBytes: config.lruMaxBytes,
    maxEntryBytes: config.lruMaxEntryBytes,
    clock,
    sizeOf: (value) => approximateBytes(value) + 16,
    decode: decodeCached,
    onEvict: (_key, reason) => events.eviction?.({ reason }),
    redis: deps.redis ?? null,
    redisKeyPrefix: config.redisKeyPrefix,
    redisTimeoutMs: config.redisTimeoutMs,
    onRedisError: (operation, code) => events.redisError?.({ operation, code })
  })
  let initialised: Promise<void> | undefined
  let closed = false

  function reportMemory (): void {
    events.memoryUsage?.({ bytes: tiers.bytes, entries: tiers.entries })
  }

  function remember (cacheKey: string, value: CachedKnowledge | null, ttlMs: number, shared: boolean): void {
    tiers.set(cacheKey, value, ttlMs, { share: shared })
    reportMemory()
  }

  /** Each source under its own deadline; the first answer wins. `failed` is true when some source errored. */
  async function askSources (key: string, display: string): Promise<{ value: CachedKnowledge | null, failed: boolean }> {
    let failed = false
    for (const source of sources) {
      // Latency is wall time even when TTLs run on an injected clock.
      const started = performance.now()
      try {
        // The timeout stops waiting even for a source that ignores its signal.
        const answer = await withTimeout(config.sourceTimeoutMs, async (signal) => await source.lookup({ key, display, signal }),
          () => new GroundstreamError('GS_ERR_KNOWLEDGE_TIMEOUT', `knowledge source ${source.name} timed out after ${config.sourceTimeoutMs} ms`, { retriable: true }))
        events.sourceFetch?.({ source: source.name, outcome: answer === null ? 'miss' : 'hit', durationMs: performance.now() - started })
        if (answer !== null && answer.text.trim().length > 0) {
          const text = trimToBudget(answer.text, config.promptTokenBudget, counter)
          return { value: { canonicalId: answer.canonicalId, title: answer.title, text, source: source.name }, failed }
        }
      } catch (error) {
        failed = true
        const code = isGroundstreamError(error) ? error.code : 'GS_ERR_KNOWLEDGE_SOURCE'
        const outcome = code === 'GS_ERR_KNOWLEDGE_TIMEOUT' ? 'timeout' : 'error'
        events.sourceFetch?.({ source: source.name, outcome, durationMs: performance.now() - started, errorCode: code })
        // An open breaker fails every lookup by design; the metric counts those, a log line each would flood.
        if (code !== 'GS_ERR_CIRCUIT_OPEN') deps.logger?.warn({ source: source.name, key, code, err: errorMessage(error) }, 'knowledge source failed')
      }
    }
    return { value: null, failed }
  }

  /** The form itself first, then its fallback readings (see entityVariants). */
  async function askAllReadings (key: string, display: string): Promise<{ value: CachedKnowledge | null, failed: boolean }> {
    let failed = false
    for (const reading of [{ key, display }, ...entityVariants({ key, display })]) {
      const result = await askSources(reading.key, reading.display)
      failed ||= result.failed
      if (result.value !== null) return { value: result.value, failed }
    }
    return { value: null, failed }
  }

  async function fetchThrough (cacheKey: string, key: string, display: string): Promise<CachedKnowledge | null> {
    const shared = await tiers.shared(cacheKey)
    if (shared !== undefined) {
      events.tierLookup?.({ tier: 'redis', outcome: shared === null ? 'negative' : 'hit' })
      reportMemory()
      return shared
    }
    if (tiers.sharing) events.tierLookup?.({ tier: 'redis', outcome: 'miss' })
    const { value, failed } = await askAllReadings(key, display)
    events.tierLookup?.({ tier: 'source', outcome: value === null ? 'miss' : 'hit' })
    if (value !== null) remember(cacheKey, value, config.ttlSeconds * 1000, true)
    else if (failed) remember(cacheKey, null, Math.min(ERROR_NEGATIVE_TTL_MS, config.negativeTtlSeconds * 1000), false)
    else remember(cacheKey, null, config.negativeTtlSeconds * 1000, true)
    return value
  }

  /**
   * What the sources are asked for: an alias is asked as its canonical title,
   * so every alias gets the same answer whichever of them is looked up first,
   * and the training dump (which bypasses the tiers) matches serving.
   */
  function sourceQueryFor (key: string, display: string): { key: string, display: string } {
    const entry = aliases.resolve(key)
    return entry === undefined ? { key, display } : { key: normaliseEntityKey(entry.title), display: entry.title }
  }

  function withKey (key: string, value: CachedKnowledge | null): Knowledge | null {
    return value === null ? null : { key, ...value }
  }

  async function init (): Promise<void> {
    initialised ??= (async () => {
      await Promise.all(sources.map((source) => source.init?.()))
      for (const source of sources) {
        for (const group of source.aliasGroups?.() ?? []) aliases.add(group.canonicalId, group.title, group.aliases)
      }
      if (config.warmUpPath !== undefined) await warmUp(config.warmUpPath)
    })()
    await initialised
  }

  async function lookup (surface: string, options: LookupOptions = {}): Promise<Knowledge | null> {
    if (closed) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'knowledge cache is closed')
    const { key, display } = normaliseEntity(surface)
    if (key.length === 0) return null
    const cacheKey = cacheKeyFor(key, aliases)
    const cached = tiers.local(cacheKey)
    if (cached !== undefined) {
      events.tierLookup?.({ tier: 'memory', outcome: cached === null ? 'negative' : 'hit' })
      return withKey(key, cached)
    }
    events.tierLookup?.({ tier: 'memory', outcome: 'miss' })
    const { promise: flight } = flights.run(cacheKey, async () => {
      const query = sourceQueryFor(key, display)
      return await fetchThrough(cacheKey, query.key, query.display)
    })
    const signal = options.signal
    if (signal === undefined) return withKey(key, await flight)
    // The caller may leave; the flight keeps going for the others and the cache.
    return await unlessAborted(flight.then((value) => withKey(key, value), () => null), signal, () => null)
  }

  async function resolve (surface: string): Promise<Knowledge | null> {
    const { key, display } = normaliseEntity(surface)
    if (key.length === 0) return null
    const query = sourceQueryFor(key, display)
    const { value } = await askAllReadings(query.key, query.display)
    return withKey(key, value)
  }

  async function warmUp (file: string): Promise<number> {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new GroundstreamError('GS_ERR_CONFIG', `knowledge warm-up file not readable: ${file}`, { cause: error, details: { path: file } })
    }
    let loaded = 0
    const problems: string[] = []
    text.split('\n').forEach((line, index) => {
      if (line.trim().length === 0) return
      try {
        const row = JSON.parse(line) as { key?: unknown, surface?: unknown, text?: unknown, canonicalId?: unknown, title?: unknown, source?: unknown }
        const key = typeof row.key === 'string' ? row.key : typeof row.surface === 'string' ? normaliseEntityKey(row.surface) : ''
        if (key.length === 0) throw new Error('no key or surface')
        const value: CachedKnowledge | null = typeof row.text === 'string' && row.text.length > 0
          ? {
              canonicalId: typeof row.canonicalId === 'string' ? row.canonicalId : null,
              title: typeof row.title === 'string' ? row.title : null,
              text: trimToBudget(row.text, config.promptTokenBudget, counter),
              source: typeof row.source === 'string' ? row.source : 'warm-up'
            }
          : null
        remember(cacheKeyFor(key, aliases), value, (value === null ? config.negativeTtlSeconds : config.ttlSeconds) * 1000, false)
        loaded++
      } catch (error) {
        problems.push(`${file}:${index + 1}: ${errorMessage(error)}`)
      }
    })
    if (problems.length > 0) deps.logger?.warn({ path: file, problems: problems.slice(0, 20), count: problems.length }, 'knowledge warm-up skipped bad lines')
    return loaded
  }

  return {
    init,
    lookup,
    resolve,
    warmUp,
    stats (): KnowledgeCacheStats {
      const sourceMemoryBytes: Record<string, number> = {}
      for (const source of sources) sourceMemoryBytes[source.name] = source.memoryBytes?.() ?? 0
      return { entries: tiers.entries, bytes: tiers.bytes, inFlight: flights.size, aliases: aliases.size, sourceMemoryBytes }
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      // Reverse of init order; one failing source must not keep the others open.
      const results = await Promise.allSettled([...sources].reverse().map((source) => source.close?.()))
      tiers.clear()
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected')
      if (failures.length > 0) {
        throw new GroundstreamError('GS_ERR_SHUTDOWN', `knowledge sources failed to close: ${failures.map((failure) => errorMessage(failure.reason)).join('; ')}`, { cause: failures[0]?.reason })
      }
    }
  }
}

