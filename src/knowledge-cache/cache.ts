// The entity-keyed knowledge cache: in-process byte-bounded LRU, then an
// optional shared Redis tier, then the ordered sources. Concurrent lookups of
// one key share one flight, "nothing known" is cached too (shorter), and no
// tier or source can hold a lookup past its deadline.
import { readFile } from 'node:fs/promises'
import type { Knowledge } from '../contracts/index.js'
import { GroundstreamError, errorMessage, isGroundstreamError } from '../errors/index.js'
import { withTimeout } from '../shared/index.js'
import type { KnowledgeConfig } from './config.js'
import { approximateTokenCounter, trimToBudget } from './budget.js'
import type { TokenCounter } from './budget.js'
import type { KnowledgeInstrumentation } from './instrumentation.js'
import { entityVariants, normaliseEntity, normaliseEntityKey } from '../contracts/index.js'
import { AliasTable, cacheKeyFor } from './keys.js'
import { ByteLru, approximateBytes, systemClock } from './lru.js'
import type { Clock } from './lru.js'
import type { KnowledgeSource } from './sources/types.js'

/** What a cache entry holds: the knowledge minus the per-request key, or null for "nothing known". */
export interface CachedKnowledge {
  canonicalId: string | null
  title: string | null
  text: string
  source: string
}

interface Stored {
  value: CachedKnowledge | null
  /** Absolute expiry (ms), so a Redis hit keeps its remaining lifetime in process. */
  expiresAt: number
}

/** The subset of ioredis the tier uses; an ioredis `Redis` satisfies it. */
export interface RedisLike {
  get (key: string): Promise<string | null>
  set (key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>
}

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

function parseStored (raw: string): Stored | null {
  try {
    const parsed = JSON.parse(raw) as Stored
    if (typeof parsed.expiresAt !== 'number') return null
    return parsed
  } catch {
    // A value written by another version or corrupted: a miss, and the fetch overwrites it.
    return null
  }
}

export function createKnowledgeCache (config: KnowledgeConfig, deps: KnowledgeCacheDeps): KnowledgeCache {
  const clock = deps.clock ?? systemClock
  const events = deps.instrumentation ?? {}
  const counter = deps.tokenCounter ?? approximateTokenCounter
  const sources = [...deps.sources]
  const aliases = new AliasTable()
  const inFlight = new Map<string, Promise<CachedKnowledge | null>>()
  const memory = new ByteLru<Stored>({
    maxBytes: config.lruMaxBytes,
    maxEntryBytes: config.lruMaxEntryBytes,
    clock,
    sizeOf: (stored) => approximateBytes(stored.value) + 16,
    onEvict: (_key, reason) => events.eviction?.({ reason })
  })
  let initialised: Promise<void> | undefined
  let closed = false

  function reportMemory (): void {
    events.memoryUsage?.({ bytes: memory.bytes, entries: memory.size })
  }

  async function redisGet (cacheKey: string): Promise<Stored | null> {
    if (deps.redis === undefined) return null
    const redis = deps.redis
    try {
      const raw = await withTimeout(config.redisTimeoutMs, async () => await redis.get(config.redisKeyPrefix + cacheKey),
        () => new GroundstreamError('GS_ERR_TIMEOUT', 'redis get timed out'))
      return raw === null ? null : parseStored(raw)
    } catch (error) {
      events.redisError?.({ operation: 'get', code: isGroundstreamError(error, 'GS_ERR_TIMEOUT') ? 'timeout' : errorCode(error) })
      return null
    }
  }

  function redisSet (cacheKey: string, stored: Stored): void {
    if (deps.redis === undefined) return
    const ttlMs = stored.expiresAt - clock.now()
    if (ttlMs <= 0) return
    // Fire and forget: the caller has its answer; a failed write only costs another instance a fetch.
    deps.redis.set(config.redisKeyPrefix + cacheKey, JSON.stringify(stored), 'PX', Math.ceil(ttlMs)).catch((error: unknown) => {
      events.redisError?.({ operation: 'set', code: errorCode(error) })
    })
  }

  function remember (cacheKey: string, value: CachedKnowledge | null, ttlMs: number, shared: boolean): Stored {
    const stored: Stored = { value, expiresAt: clock.now() + ttlMs }
    memory.set(cacheKey, stored, ttlMs)
    if (shared) redisSet(cacheKey, stored)
    reportMemory()
    return stored
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
    const shared = await redisGet(cacheKey)
    if (shared !== null) {
      const ttlMs = shared.expiresAt - clock.now()
      if (ttlMs > 0) {
        events.tierLookup?.({ tier: 'redis', outcome: shared.value === null ? 'negative' : 'hit' })
        memory.set(cacheKey, shared, ttlMs)
        reportMemory()
        return shared.value
      }
    }
    if (deps.redis !== undefined) events.tierLookup?.({ tier: 'redis', outcome: 'miss' })
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
    const cached = memory.get(cacheKey)
    if (cached !== undefined) {
      events.tierLookup?.({ tier: 'memory', outcome: cached.value === null ? 'negative' : 'hit' })
      return withKey(key, cached.value)
    }
    events.tierLookup?.({ tier: 'memory', outcome: 'miss' })
    let flight = inFlight.get(cacheKey)
    if (flight === undefined) {
      const query = sourceQueryFor(key, display)
      flight = fetchThrough(cacheKey, query.key, query.display).finally(() => inFlight.delete(cacheKey))
      inFlight.set(cacheKey, flight)
    }
    const signal = options.signal
    if (signal === undefined) return withKey(key, await flight)
    if (signal.aborted) return null
    // The caller may leave; the flight keeps going for the others and the cache.
    return await new Promise<Knowledge | null>((resolve) => {
      const onAbort = (): void => resolve(null)
      signal.addEventListener('abort', onAbort, { once: true })
      flight.then((value) => resolve(withKey(key, value)), () => resolve(null))
        .finally(() => signal.removeEventListener('abort', onAbort))
    })
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
      return { entries: memory.size, bytes: memory.bytes, inFlight: inFlight.size, aliases: aliases.size, sourceMemoryBytes }
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      // Reverse of init order; one failing source must not keep the others open.
      const results = await Promise.allSettled([...sources].reverse().map((source) => source.close?.()))
      memory.clear()
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected')
      if (failures.length > 0) {
        throw new GroundstreamError('GS_ERR_SHUTDOWN', `knowledge sources failed to close: ${failures.map((failure) => errorMessage(failure.reason)).join('; ')}`, { cause: failures[0]?.reason })
      }
    }
  }
}

function errorCode (error: unknown): string {
  if (isGroundstreamError(error)) return error.code
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown'
}
