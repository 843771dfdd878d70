import { expect, test } from 'vitest'
import { ByteLru } from '../../src/knowledge-cache/index.js'

function fakeClock (start = 1_000): { now: () => number, advance: (ms: number) => void } {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

test('the byte bound holds under a flood of distinct keys', () => {
  const clock = fakeClock()
  let evicted = 0
  const maxBytes = 64 * 1024
  const lru = new ByteLru<string>({ maxBytes, maxEntryBytes: 4096, clock, sizeOf: (value) => value.length * 2, onEvict: () => evicted++ })
  let peak = 0
  for (let i = 0; i < 50_000; i++) {
    // Values of varying size so an entry count alone could not bound memory.
    lru.set(`entity-${i}`, 'x'.repeat(i % 900), 60_000)
    peak = Math.max(peak, lru.bytes)
  }
  expect(peak <= maxBytes, `peak ${peak} > ${maxBytes}`).toBeTruthy()
  expect(lru.size > 10 && lru.size < 50_000).toBeTruthy()
  expect(evicted).toBe(50_000 - lru.size)
  // The youngest survive, the oldest went first.
  expect(lru.get('entity-49999')).toBe('x'.repeat(49_999 % 900))
  expect(lru.get('entity-0')).toBe(undefined)
})

test('a read makes an entry young again', () => {
  const lru = new ByteLru<string>({ maxBytes: 1000, maxEntryBytes: 1000, clock: fakeClock(), sizeOf: () => 100 })
  // 160 overhead + key + 100 per entry: three fit in 1000 bytes.
  lru.set('a', 'A', 1000)
  lru.set('b', 'B', 1000)
  lru.set('c', 'C', 1000)
  expect(lru.get('a')).toBe('A')
  lru.set('d', 'D', 1000)
  expect(lru.get('b')).toBe(undefined)
  expect(lru.get('a')).toBe('A')
})

test('entries expire at their TTL on the injected clock', () => {
  const clock = fakeClock()
  const reasons: string[] = []
  const lru = new ByteLru<string>({ maxBytes: 10_000, maxEntryBytes: 10_000, clock, sizeOf: () => 10, onEvict: (_key, reason) => reasons.push(reason) })
  lru.set('k', 'v', 500)
  clock.advance(499)
  expect(lru.get('k')).toBe('v')
  clock.advance(1)
  expect(lru.get('k')).toBe(undefined)
  expect(reasons).toStrictEqual(['expired'])
  expect(lru.bytes).toBe(0)
})

test('an entry above maxEntryBytes is not kept, and replacing a key does not leak bytes', () => {
  const lru = new ByteLru<string>({ maxBytes: 10_000, maxEntryBytes: 400, clock: fakeClock(), sizeOf: (value) => value.length * 2 })
  expect(lru.set('big', 'x'.repeat(500), 1000)).toBe(false)
  expect(lru.size).toBe(0)
  lru.set('k', 'a', 1000)
  const bytes = lru.bytes
  lru.set('k', 'b', 1000)
  expect(lru.bytes).toBe(bytes)
})
