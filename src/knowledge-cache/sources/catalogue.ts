// The user's catalogue of tracked brands and people (JSONL, one entity a
// line: name, aliases, type, description, optional id). Asked first, so what
// a user tracks wins over reference data with the same name.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ENTITY_TYPES } from '../../contracts/index.js'
import { GroundstreamError } from '../../errors/index.js'
import { normaliseEntityKey } from '../keys.js'
import { approximateBytes } from '../lru.js'
import type { AliasGroup, KnowledgeSource, SourceAnswer, SourceQuery } from './types.js'

export const CatalogueEntrySchema = z.object({
  id: z.string().min(1).max(256).optional(),
  name: z.string().min(1).max(256),
  aliases: z.array(z.string().min(1).max(256)).max(256).default([]),
  type: z.enum(ENTITY_TYPES).optional(),
  description: z.string().min(1).max(4000)
}).strict()

export type CatalogueEntry = z.infer<typeof CatalogueEntrySchema>

const TYPE_WORDS: Readonly<Record<string, string>> = Object.freeze({ PER: 'person', LOC: 'place', ORG: 'organisation', OTHER: 'named thing' })

/** Parses catalogue JSONL; every bad line is reported in one error naming file and line. */
export function parseCatalogue (text: string, file = '<catalogue>'): CatalogueEntry[] {
  const entries: CatalogueEntry[] = []
  const problems: string[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      problems.push(`${file}:${index + 1}: not JSON`)
      return
    }
    const result = CatalogueEntrySchema.safeParse(value)
    if (result.success) entries.push(result.data)
    else problems.push(`${file}:${index + 1}: ${result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join(', ')}`)
  })
  if (problems.length > 0) {
    throw new GroundstreamError('GS_ERR_CONFIG', `invalid catalogue: ${problems.slice(0, 20).join('; ')}`, { details: { path: file, problems } })
  }
  return entries
}

export interface CatalogueSourceOptions {
  /** JSONL file; absent means an empty catalogue. */
  path?: string
  /** Entries given directly (tests, programmatic use); added after the file's. */
  entries?: readonly CatalogueEntry[]
}

interface Indexed {
  id: string
  title: string
  text: string
  aliases: string[]
}

export function createCatalogueSource (options: CatalogueSourceOptions = {}): KnowledgeSource {
  const byKey = new Map<string, Indexed>()
  const all: Indexed[] = []
  let loaded: Promise<void> | undefined

  async function load (): Promise<void> {
    const entries: CatalogueEntry[] = []
    if (options.path !== undefined) {
      let text: string
      try {
        text = await readFile(options.path, 'utf8')
      } catch (error) {
        throw new GroundstreamError('GS_ERR_CONFIG', `catalogue not found: ${options.path}`, { cause: error, details: { path: options.path } })
      }
      entries.push(...parseCatalogue(text, options.path))
    }
    entries.push(...(options.entries ?? []).map((entry) => CatalogueEntrySchema.parse(entry)))
    for (const entry of entries) {
      const kind = entry.type === undefined ? '' : ` (${TYPE_WORDS[entry.type] ?? entry.type})`
      const indexed: Indexed = {
        id: entry.id ?? `catalogue:${normaliseEntityKey(entry.name).replace(/\s+/g, '-')}`,
        title: entry.name,
        text: `${entry.name}${kind}: ${entry.description}`,
        aliases: entry.aliases
      }
      all.push(indexed)
      for (const alias of [entry.name, ...entry.aliases]) {
        const key = normaliseEntityKey(alias)
        if (key.length > 0 && !byKey.has(key)) byKey.set(key, indexed)
      }
    }
  }

  function ensureLoaded (): Promise<void> {
    loaded ??= load()
    return loaded
  }

  return {
    name: 'catalogue',
    init: ensureLoaded,
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      await ensureLoaded()
      const hit = byKey.get(query.key)
      return hit === undefined ? null : { canonicalId: hit.id, title: hit.title, text: hit.text }
    },
    * aliasGroups (): Iterable<AliasGroup> {
      for (const entry of all) yield { canonicalId: entry.id, title: entry.title, aliases: entry.aliases }
    },
    memoryBytes (): number {
      return approximateBytes(all) + byKey.size * 64
    }
  }
}
