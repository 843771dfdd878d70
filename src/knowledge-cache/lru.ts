// In-process tier: an LRU bounded by an estimate of the bytes it holds, since
// knowledge texts vary from a few words to a paragraph and an entry count says
// little about memory. Expiry is checked on read against an injected clock.

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
  bytes: number
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
}

export class ByteLru<V> {
  readonly #slots = new Map<string, Slot<V>>()
  readonly #options: ByteLruOptions<V>
  #bytes = 0

  constructor (options: ByteLruOptions<V>) {
    if (!(options.maxBytes > 0)) throw new RangeError('maxBytes must be > 0')
    this.#options = options
  }

  /** The value, or undefined when absent or expired. A hit becomes most recently used. */
  get (key: string): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= this.#options.clock.now()) {
      this.#remove(key, slot)
      this.#options.onEvict?.(key, 'expired')
      return undefined
    }
    // Map keeps insertion order: re-inserting moves the key to the young end.
    this.#slots.delete(key)
    this.#slots.set(key, slot)
    return slot.value
  }

  /** Stores a value for ttlMs; returns false when the entry is too large to keep. */
  set (key: string, value: V, ttlMs: number): boolean {
    const bytes = ENTRY_OVERHEAD_BYTES + key.length * 2 + this.#options.sizeOf(value)
    const previous = this.#slots.get(key)
    if (previous !== undefined) this.#remove(key, previous)
    if (bytes > this.#options.maxEntryBytes || ttlMs <= 0) return false
    this.#slots.set(key, { value, expiresAt: this.#options.clock.now() + ttlMs, bytes })
    this.#bytes += bytes
    this.#evictToFit()
    return true
  }

  delete (key: string): boolean {
    const slot = this.#slots.get(key)
    if (slot === undefined) return false
    this.#remove(key, slot)
    return true
  }

  clear (): void {
    this.#slots.clear()
    this.#bytes = 0
  }

  get bytes (): number {
    return this.#bytes
  }

  get size (): number {
    return this.#slots.size
  }

  #remove (key: string, slot: Slot<V>): void {
    this.#slots.delete(key)
    this.#bytes -= slot.bytes
  }

  #evictToFit (): void {
    if (this.#bytes <= this.#options.maxBytes) return
    const now = this.#options.clock.now()
    for (const [key, slot] of this.#slots) {
      if (this.#bytes <= this.#options.maxBytes) break
      this.#remove(key, slot)
      this.#options.onEvict?.(key, slot.expiresAt <= now ? 'expired' : 'capacity')
    }
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
