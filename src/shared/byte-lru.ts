// In-process tier of the tiered cache: an LRU bounded by an estimate of the
// bytes it holds, since knowledge texts and image analyses vary from a few
// words to many regions and an entry count says little about memory (a count
// bound can be added too). lru-cache does the bounding (maxSize +
// sizeCalculation) and the expiry (ttl on an injected clock); this adapter
// keeps the cache's contract: an entry expires exactly at its TTL, a value too
// large is not kept, and evictions are reported as capacity or expiry.
import { LRUCache } from 'lru-cache'

/** Map entry, node and object headers in V8, per entry; measured roughly, kept conservative. */
const ENTRY_OVERHEAD_BYTES = 160

export interface Clock {
  /** Milliseconds since the epoch. */
  now (): number
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() })

interface Slot<V> {
  value: V
  expiresAt: number
}

export type EvictionReason = 'capacity' | 'expired'

export interface ByteLruOptions<V> {
  maxBytes: number
  /** Entries above this size are not kept at all. */
  maxEntryBytes: number
  clock: Clock
  /** Approximate retained size of a value, in bytes. */
  sizeOf: (value: V) => number
  onEvict?: (key: string, reason: EvictionReason) => void
  /** At most this many entries as well, when given. */
  maxEntries?: number
}

export class ByteLru<V> {
  readonly #cache: LRUCache<string, Slot<V>>
  readonly #options: ByteLruOptions<V>

  constructor (options: ByteLruOptions<V>) {
    if (!(options.maxBytes > 0)) throw new RangeError('maxBytes must be > 0')
    this.#options = options
    const onEvict = options.onEvict
    this.#cache = new LRUCache<string, Slot<V>>({
      maxSize: options.maxBytes,
      maxEntrySize: Math.min(options.maxBytes, options.maxEntryBytes),
      ...(options.maxEntries === undefined ? {} : { max: options.maxEntries }),
      sizeCalculation: (slot, key) => ENTRY_OVERHEAD_BYTES + key.length * 2 + options.sizeOf(slot.value),
      // TTLs run on the injected clock, read on every check (no cached "now").
      perf: options.clock,
      ttlResolution: 0,
      // Replacements and deletes are the caller's doing, not evictions.
      ...(onEvict === undefined
        ? {}
        : {
            dispose: (slot: Slot<V>, key: string, reason: LRUCache.DisposeReason) => {
              if (reason === 'expire') onEvict(key, 'expired')
              else if (reason === 'evict') onEvict(key, slot.expiresAt <= options.clock.now() ? 'expired' : 'capacity')
            }
          })
    })
  }

  /** The value, or undefined when absent or expired. A hit becomes most recently used. */
  get (key: string): V | undefined {
    const slot = this.#cache.get(key)
    if (slot === undefined) return undefined
    // lru-cache expires an entry after its TTL; ours is gone at it.
    if (slot.expiresAt <= this.#options.clock.now()) {
      this.#cache.delete(key)
      this.#options.onEvict?.(key, 'expired')
      return undefined
    }
    return slot.value
  }

  /** Stores a value for ttlMs; returns false when the entry is too large to keep. */
  set (key: string, value: V, ttlMs: number): boolean {
    const bytes = ENTRY_OVERHEAD_BYTES + key.length * 2 + this.#options.sizeOf(value)
    if (bytes > this.#options.maxEntryBytes || ttlMs <= 0) {
      this.#cache.delete(key)
      return false
    }
    this.#cache.set(key, { value, expiresAt: this.#options.clock.now() + ttlMs }, { ttl: ttlMs, size: bytes })
    return true
  }

  delete (key: string): boolean {
    return this.#cache.delete(key)
  }

  clear (): void {
    this.#cache.clear()
  }

  get bytes (): number {
    return this.#cache.calculatedSize
  }

  get size (): number {
    return this.#cache.size
  }
}

/** UTF-16 string bytes plus a per-field allowance; good enough to bound memory, cheap to compute. */
export function approximateBytes (value: unknown): number {
  if (value === null || value === undefined) return 8
  if (typeof value === 'string') return 16 + value.length * 2
  if (typeof value === 'number' || typeof value === 'boolean') return 8
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + approximateBytes(item), 16)
  if (typeof value === 'object') {
    let sum = 32
    for (const [key, item] of Object.entries(value)) sum += 16 + key.length + approximateBytes(item)
    return sum
  }
  return 16
}
