// A cache in two tiers: an in-process LRU bounded in bytes (ByteLru) in front
// of an optional shared Redis tier, so replicas share their work. The
// knowledge cache and the image-analysis cache are both built on it. An entry
// expires at an absolute deadline kept in both tiers, so a Redis hit keeps
// its remaining lifetime in process. A slow or failing Redis is a miss
// (reported through onRedisError), never an error and never a stall; writes
// to it are fire and forget. Concurrent work for one key is SingleFlight's.
import { ByteLru, systemClock, type Clock, type EvictionReason } from './byte-lru.js'
import { withTimeout } from './timeout.js'

/** The part of an ioredis client the tier uses. */
export interface RedisGetSet {
  get (key: string): Promise<string | null>
  set (key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>
}

export interface TieredCacheOptions<V> {
  /** Bytes the in-process tier holds at most (sizeOf's estimate). */
  maxBytes: number
  /** A value estimated larger than this is not kept in process (default maxBytes). */
  maxEntryBytes?: number
  /** At most this many entries in process as well, when given. */
  maxEntries?: number
  sizeOf: (value: V) => number
  /** A value read back from Redis (JSON-decoded): the value, or undefined when it is not one (another version's, corrupted). */
  decode: (raw: unknown) => V | undefined
  clock?: Clock
  onEvict?: (key: string, reason: EvictionReason) => void
  redis?: RedisGetSet | null
  /** Put before every key in Redis. */
  redisKeyPrefix?: string
  /** A Redis read slower than this is a miss. */
  redisTimeoutMs: number
  onRedisError?: (operation: 'get' | 'set', code: string) => void
}

export interface TieredCache<V> {
  /** The in-process tier only: the value, or undefined when absent or expired. */
  local (key: string): V | undefined
  /** The shared tier (undefined without Redis, on a miss, a timeout or a failure); a hit is kept in process for its remaining lifetime. */
  shared (key: string): Promise<V | undefined>
  /** Keeps `value` for `ttlMs` in process and, unless `share` is false, in Redis. */
  set (key: string, value: V, ttlMs: number, options?: { share?: boolean }): void
  /** Whether a shared tier is configured. */
  readonly sharing: boolean
  readonly entries: number
  readonly bytes: number
  clear (): void
}

/** What Redis holds for a key: the value and the absolute deadline (ms since the epoch). */
interface Shared {
  value: unknown
  expiresAt: number
}

class RedisTimeout extends Error {}

function errorCode (error: unknown): string {
  if (error instanceof RedisTimeout) return 'timeout'
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown'
}

function parseShared (raw: string): Shared | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<Shared> | null
    return parsed !== null && typeof parsed === 'object' && typeof parsed.expiresAt === 'number' && 'value' in parsed
      ? { value: parsed.value, expiresAt: parsed.expiresAt }
      : undefined
  } catch {
    // Written by another version, or corrupted: a miss, and the next write overwrites it.
    return undefined
  }
}

export function createTieredCache<V> (options: TieredCacheOptions<V>): TieredCache<V> {
  const clock = options.clock ?? systemClock
  const redis = options.redis ?? null
  const prefix = options.redisKeyPrefix ?? ''
  const memory = new ByteLru<V>({
    maxBytes: options.maxBytes,
    maxEntryBytes: options.maxEntryBytes ?? options.maxBytes,
    clock,
    sizeOf: options.sizeOf,
    ...(options.onEvict === undefined ? {} : { onEvict: options.onEvict }),
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries })
  })

  async function shared (key: string): Promise<V | undefined> {
    if (redis === null) return undefined
    let raw: string | null
    try {
      raw = await withTimeout(options.redisTimeoutMs, async () => await redis.get(prefix + key),
        () => new RedisTimeout(`redis get timed out after ${options.redisTimeoutMs} ms`))
    } catch (error) {
      options.onRedisError?.('get', errorCode(error))
      return undefined
    }
    const entry = raw === null ? undefined : parseShared(raw)
    if (entry === undefined) return undefined
    const ttlMs = entry.expiresAt - clock.now()
    const value = ttlMs > 0 ? options.decode(entry.value) : undefined
    if (value === undefined) return undefined
    memory.set(key, value, ttlMs)
    return value
  }

  function set (key: string, value: V, ttlMs: number, setOptions: { share?: boolean } = {}): void {
    if (ttlMs <= 0) return
    memory.set(key, value, ttlMs)
    if (redis === null || setOptions.share === false) return
    const entry: Shared = { value, expiresAt: clock.now() + ttlMs }
    // Fire and forget: the caller has its answer; a failed write only costs another replica the work.
    redis.set(prefix + key, JSON.stringify(entry), 'PX', Math.ceil(ttlMs)).catch((error: unknown) => {
      options.onRedisError?.('set', errorCode(error))
    })
  }

  return {
    local: (key) => memory.get(key),
    shared,
    set,
    sharing: redis !== null,
    get entries () { return memory.size },
    get bytes () { return memory.bytes },
    clear: () => { memory.clear() }
  }
}
