// The catalogue of tracked brands, organisations, people and events (JSONL,
// one entity a line: name, aliases, handles, type, brand, description,
// optional id; or CSV with those columns, catalogue-csv.ts; docs/catalogue.md
// describes the format). Two files feed it:
// the user's (knowledge.cataloguePath) and the one that ships with
// groundstream (data/catalogue/brands.jsonl, built by
// scripts/build-catalogue.mjs from the curated list, Simple Icons,
// openfootball clubs and the name-suggestion-index). The user's is read
// first, so what a user tracks wins over a shipped entry with the same name,
// handle or id. Shipped entries feed stage-2 prompts only when curated: a
// bulk-imported line links, it does not steer the model.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ENTITY_TYPES, normaliseEntityKey, squashEntityName, type LinkOption } from '../../contracts/index.js'
import { GroundstreamError } from '../../errors/index.js'
import { formatIssues } from '../../shared/index.js'
import { approximateBytes } from '../../shared/index.js'
import type { AliasGroup, KnowledgeSource, LinkQuery, SourceAnswer, SourceQuery } from './types.js'
import { parseCatalogueCsv } from './catalogue-csv.js'

export const CatalogueEntrySchema = z.object({
  id: z.string().min(1).max(256).optional(),
  name: z.string().min(1).max(256),
  aliases: z.array(z.string().min(1).max(256)).max(256).default([]),
  /** Official accounts, with or without the `@`. */
  handles: z.array(z.string().min(1).max(64)).max(64).default([]),
  type: z.enum(ENTITY_TYPES).optional(),
  /** The brand this entry belongs to, by its catalogue name: a product's maker, a store's chain (`Tesco Express` -> `Tesco`). */
  brand: z.string().min(1).max(256).optional(),
  /**
   * The name itself also reads as a common word, a place, a first name or
   * another entity (`Coop`, `Total`): it does not link; the aliases and
   * handles still do.
   */
  ambiguous: z.boolean().optional(),
  description: z.string().min(1).max(4000),
  /** Where the entry came from (`curated`, `simple-icons:apple`, `openfootball:tr`, `nsi:shop/supermarket`); informational. */
  source: z.string().min(1).max(256).optional()
}).strict()

export type CatalogueEntry = z.infer<typeof CatalogueEntrySchema>
export type CatalogueEntryInput = z.input<typeof CatalogueEntrySchema>

const TYPE_WORDS: Readonly<Record<string, string>> = Object.freeze({ PER: 'person', LOC: 'place', ORG: 'organisation', OTHER: 'named thing' })

/**
 * Suffixes of support, news and regional accounts (`@SamsungSupport`,
 * `@BBCBreaking`, `@VodafoneUK`): the account speaks for the brand before it.
 */
const ACCOUNT_SUFFIXES = ['support', 'help', 'cares', 'care', 'news', 'breaking', 'official', 'hq', 'uk', 'us', 'usa', 'global', 'india', 'au', 'ca']

/** A squashed name shorter than this is too ambiguous to match a tag by (`ee`, `o2` need their handle). */
const MIN_SQUASHED = 3

/** A decoded record and the line it starts on, before validation. */
export interface CatalogueRecord {
  line: number
  value: unknown
}

/** Validates decoded records (and reports records that could not be decoded); every problem is named by file and line in one error. */
export function validateCatalogue (records: readonly CatalogueRecord[], undecoded: readonly string[], file: string): CatalogueEntry[] {
  const entries: CatalogueEntry[] = []
  const problems = [...undecoded]
  for (const record of records) {
    const result = CatalogueEntrySchema.safeParse(record.value)
    if (result.success) entries.push(result.data)
    else problems.push(`${file}:${record.line}: ${formatIssues(result.error.issues).join(', ')}`)
  }
  if (problems.length > 0) {
    throw new GroundstreamError('GS_ERR_CONFIG', `invalid catalogue: ${problems.slice(0, 20).join('; ')}`, { details: { path: file, problems } })
  }
  return entries
}

/** Parses catalogue JSONL; every bad line is reported in one error naming file and line. */
export function parseCatalogue (text: string, file = '<catalogue>'): CatalogueEntry[] {
  const records: CatalogueRecord[] = []
  const undecoded: string[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return
    try {
      records.push({ line: index + 1, value: JSON.parse(line) })
    } catch {
      undecoded.push(`${file}:${index + 1}: not JSON`)
    }
  })
  return validateCatalogue(records, undecoded, file)
}

/**
 * The names and aliases of the user's catalogue file (handles left out), for
 * stage 1 to propose wherever they are written; an ambiguous entry gives its
 * aliases only, as it links by them only. Same validation as the source.
 */
export async function userCatalogueNames (file: string): Promise<string[]> {
  const names = new Set<string>()
  for (const entry of await readCatalogueFile(file)) {
    for (const name of entry.ambiguous === true ? entry.aliases : [entry.name, ...entry.aliases]) {
      if (!name.startsWith('@')) names.add(name)
    }
  }
  return [...names]
}

export interface CatalogueSourceOptions {
  /** The user's file (JSONL, or CSV when it ends in .csv); absent means no user entries. */
  path?: string
  /** Entries given directly (tests, programmatic use); added after the file's. */
  entries?: readonly CatalogueEntryInput[]
  /** The shipped catalogue (data/catalogue/brands.jsonl, scripts/build-catalogue.mjs); read after the user's entries. */
  shippedPath?: string
}

interface Indexed {
  id: string
  title: string
  text: string
  description: string
  type: CatalogueEntry['type']
  brand: string | undefined
  aliases: string[]
  /**
   * Whether its text goes into stage-2 prompts: a user's entry, or a shipped
   * one that is curated. Bulk entries (Simple Icons, clubs, NSI brands) carry
   * no description worth a prompt (`Hugo`, `Ruby` would read as brands), so
   * they serve linking and handle resolution only.
   */
  prompt: boolean
  /** A user's entry (not shipped): the mentions it names are tracked (src/stages/linking.ts). */
  tracked: boolean
}

/** Whether a shipped entry was written by the project (`curated`, `curated+simple-icons:…`) rather than imported in bulk. */
function isCurated (entry: CatalogueEntry): boolean {
  return entry.source === undefined || entry.source.startsWith('curated')
}

async function readCatalogueFile (file: string): Promise<CatalogueEntry[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `catalogue not found: ${file}`, { cause: error, details: { path: file } })
  }
  return /\.csv$/iu.test(file) ? parseCatalogueCsv(text, file) : parseCatalogue(text, file)
}

export function createCatalogueSource (options: CatalogueSourceOptions = {}): KnowledgeSource {
  const byKey = new Map<string, Indexed>()
  const byHandle = new Map<string, Indexed>()
  const bySquashed = new Map<string, Indexed>()
  const byId = new Map<string, Indexed>()
  const all: Indexed[] = []
  let loaded: Promise<void> | undefined

  function add (entry: CatalogueEntry, shipped: boolean): void {
    const id = entry.id ?? `catalogue:${normaliseEntityKey(entry.name).replace(/\s+/g, '-')}`
    // The first entry with an id wins: a user's entry overrides the shipped one.
    if (byId.has(id)) return
    const kind = entry.type === undefined ? '' : ` (${TYPE_WORDS[entry.type] ?? entry.type})`
    const indexed: Indexed = {
      id,
      title: entry.name,
      text: `${entry.name}${kind}: ${entry.description}`,
      description: entry.description,
      type: entry.type,
      brand: entry.brand,
      aliases: entry.aliases,
      prompt: !shipped || isCurated(entry),
      tracked: !shipped
    }
    byId.set(id, indexed)
    all.push(indexed)
    const handles = [...entry.handles, ...entry.aliases.filter((alias) => alias.startsWith('@'))]
    for (const handle of handles) {
      const key = handle.replace(/^@/u, '').toLowerCase()
      if (key.length > 0 && !byHandle.has(key)) byHandle.set(key, indexed)
    }
    // An ambiguous name is the entry's title only; its aliases and handles find it.
    for (const alias of entry.ambiguous === true ? entry.aliases : [entry.name, ...entry.aliases]) {
      const key = normaliseEntityKey(alias)
      if (key.length > 0 && !byKey.has(key)) byKey.set(key, indexed)
      const squashed = squashEntityName(alias)
      if (squashed.length >= MIN_SQUASHED && !bySquashed.has(squashed)) bySquashed.set(squashed, indexed)
    }
  }

  async function load (): Promise<void> {
    const user = options.path === undefined ? [] : await readCatalogueFile(options.path)
    user.push(...(options.entries ?? []).map((entry) => CatalogueEntrySchema.parse(entry)))
    for (const entry of user) add(entry, false)
    if (options.shippedPath !== undefined) for (const entry of await readCatalogueFile(options.shippedPath)) add(entry, true)
  }

  function ensureLoaded (): Promise<void> {
    loaded ??= load()
    return loaded
  }

  function option (entry: Indexed, match: LinkOption['match']): LinkOption {
    return { id: entry.id, title: entry.title, description: entry.description, type: entry.type ?? null, source: 'catalogue', match, ...(entry.brand === undefined ? {} : { brand: entry.brand }), ...(entry.tracked ? { tracked: true } : {}) }
  }

  /** A #/@ body: an official handle first, then a name written without spaces, then an account suffix dropped. */
  function resolveTag (body: string, kind: LinkQuery['kind'], key: string): LinkOption | null {
    const lower = body.toLowerCase()
    const handle = kind === 'handle' ? byHandle.get(lower) : undefined
    if (handle !== undefined) return option(handle, 'handle')
    const squashed = squashEntityName(body)
    const named = bySquashed.get(squashed) ?? byKey.get(key) ?? (kind === 'hashtag' ? byHandle.get(lower) : undefined)
    if (named !== undefined) return option(named, 'tag')
    if (kind !== 'handle') return null
    for (const suffix of ACCOUNT_SUFFIXES) {
      if (!squashed.endsWith(suffix) || squashed.length - suffix.length < MIN_SQUASHED) continue
      const stem = squashed.slice(0, -suffix.length)
      const hit = byHandle.get(stem) ?? bySquashed.get(stem)
      if (hit !== undefined) return option(hit, 'tag')
    }
    return null
  }

  return {
    name: 'catalogue',
    init: ensureLoaded,
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      await ensureLoaded()
      const hit = byKey.get(query.key)
      return hit === undefined || !hit.prompt ? null : { canonicalId: hit.id, title: hit.title, text: hit.text }
    },
    async linkOptions (query: LinkQuery): Promise<LinkOption[]> {
      await ensureLoaded()
      if (query.kind !== 'text' && query.tag !== undefined) {
        const hit = resolveTag(query.tag, query.kind, query.key)
        return hit === null ? [] : [hit]
      }
      const hit = byKey.get(query.key)
      return hit === undefined ? [] : [option(hit, 'name')]
    },
    // Entries that feed prompts only: an alias of a link-only entry must not change what other sources are asked.
    * aliasGroups (): Iterable<AliasGroup> {
      for (const entry of all) if (entry.prompt) yield { canonicalId: entry.id, title: entry.title, aliases: entry.aliases }
    },
    memoryBytes (): number {
      return approximateBytes(all) + (byKey.size + byHandle.size + bySquashed.size) * 64
    }
  }
}
