// The contract every knowledge source implements. Sources are asked in the
// configured order; the first with an answer wins. Typed sources also list
// link options (every reading they know, with its type) for the linker.
import type { LinkOption, MentionKind } from '../../contracts/index.js'

export interface SourceQuery {
  /** Normalised key (`bella hadid`). */
  key: string
  /** Cleaned surface form with case kept (`Bella Hadid`), for case-sensitive upstreams. */
  display: string
  /** Aborted when the source's time budget is spent; a source must stop promptly. */
  signal: AbortSignal
}

export interface SourceAnswer {
  canonicalId: string | null
  title: string | null
  /** Untrimmed knowledge text; the cache trims it to the prompt budget. */
  text: string
}

/** What the linker asks a typed source: the candidate's key, and for #/@ mentions the tag body. */
export interface LinkQuery {
  key: string
  display: string
  kind: MentionKind
  /** The handle or hashtag without its sigil (`TMobile`), for #/@ mentions. */
  tag?: string
}

export interface AliasGroup {
  canonicalId: string
  title: string
  aliases: readonly string[]
}

export interface KnowledgeSource {
  readonly name: string
  /** Loads indexes; called once, before the first lookup. */
  init?: () => Promise<void>
  /** An answer, or null when the source knows nothing of the key. Throws GroundstreamError on failure. */
  lookup: (query: SourceQuery) => Promise<SourceAnswer | null>
  /** Every reading of the query this source knows, typed; [] when none. In-memory sources only. */
  linkOptions?: (query: LinkQuery) => Promise<LinkOption[]>
  /** Alias groups the source knows up front (catalogue aliases, country names). */
  aliasGroups?: () => Iterable<AliasGroup>
  /** Approximate retained bytes of the source's indexes, for reporting. */
  memoryBytes?: () => number
  close?: () => Promise<void>
}
