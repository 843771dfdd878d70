// Cache entries: aliases of one entity (`USA`, `United States`) share an
// entry and a canonical id. The keys themselves (normaliseEntityKey) are an
// entity-name contract, in src/contracts/entity-names.ts.
import { normaliseEntityKey } from '../contracts/index.js'

export interface AliasEntry {
  canonicalId: string
  title: string
}

/**
 * Maps the normalised keys of every known alias to one canonical entity, so
 * `USA`, `United States` and `America` share a cache entry and a canonical id.
 * The first registration of an alias wins: catalogue entries are added before
 * reference data so a user's tracked entity takes precedence.
 */
export class AliasTable {
  readonly #byKey = new Map<string, AliasEntry>()
  readonly #byId = new Map<string, AliasEntry>()

  add (canonicalId: string, title: string, aliases: Iterable<string>): void {
    const entry = this.#byId.get(canonicalId) ?? { canonicalId, title }
    this.#byId.set(canonicalId, entry)
    for (const alias of [title, ...aliases]) {
      const key = normaliseEntityKey(alias)
      if (key.length > 0 && !this.#byKey.has(key)) this.#byKey.set(key, entry)
    }
  }

  resolve (key: string): AliasEntry | undefined {
    return this.#byKey.get(key)
  }

  get size (): number {
    return this.#byKey.size
  }
}

/** The cache entry a key is stored under: the canonical id when the alias table knows it. */
export function cacheKeyFor (key: string, aliases: AliasTable | undefined): string {
  const entry = aliases?.resolve(key)
  return entry === undefined ? `k:${key}` : `id:${entry.canonicalId}`
}
