// The pipeline's `knowledge` stage: joins each stage-1 candidate with the
// cache. Distinct keys of a batch are looked up once, with bounded
// concurrency, under one deadline for the batch; whatever has not answered by
// then is null for this batch (and still lands in the cache for the next).
import { setMaxListeners } from 'node:events'
import { TimeoutStrategy, timeout } from 'cockatiel'
import pLimit from 'p-limit'
import { normaliseEntity, normaliseEntityKey, type Candidate, type Knowledge, type LinkOption } from '../contracts/index.js'
import type { PostWork, Stage } from '../pipeline/index.js'
import type { KnowledgeConfig } from './config.js'
import { approximateTokenCounter, loadTokenCounter } from './budget.js'
import type { TokenCounter } from './budget.js'
import { createKnowledgeCache } from './cache.js'
import type { KnowledgeCache, KnowledgeLogger, RedisLike } from './cache.js'
import type { KnowledgeInstrumentation } from './instrumentation.js'
import type { Clock } from '../shared/index.js'
import { linkOptionFromKnowledge } from './link-options.js'
import { createSources } from './sources/registry.js'
import type { KnowledgeSource } from './sources/types.js'

export interface KnowledgeStageDeps {
  /** A ready-made cache; otherwise one is built from the config and the deps below. */
  cache?: KnowledgeCache
  /** Overrides the sources built from `config.sources`. */
  sources?: readonly KnowledgeSource[]
  redis?: RedisLike
  clock?: Clock
  instrumentation?: KnowledgeInstrumentation
  logger?: KnowledgeLogger
}

/** Below this population a GeoNames town does not outrank a place WordNet knows by the same name. */
const WELL_KNOWN_TOWN = 100_000

/**
 * `Florida` is a town in Cuba to GeoNames and a US state to WordNet; `Asia`
 * a town in the Philippines. A small town loses to a named place of the same
 * name that WordNet knows (its sense is then the link); a city stays.
 */
function withoutOutrankedTowns (options: LinkOption[]): LinkOption[] {
  const namedPlace = options.some((option) => option.source === 'wordnet' && option.type === 'LOC')
  if (!namedPlace) return options
  return options.filter((option) => option.population === undefined || option.population >= WELL_KNOWN_TOWN)
}

export function createKnowledgeStage (config: KnowledgeConfig, deps: KnowledgeStageDeps = {}): Stage {
  let cache = deps.cache
  let counter: TokenCounter = approximateTokenCounter
  /** The sources the linker asks for typed readings (those with `linkOptions`); none with a ready-made cache. */
  let typedSources: KnowledgeSource[] = [...(deps.sources ?? [])].filter((source) => source.linkOptions !== undefined)

  function buildCache (): KnowledgeCache {
    const sources = deps.sources ?? createSources(config, {
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.instrumentation === undefined ? {} : { instrumentation: deps.instrumentation })
    })
    typedSources = sources.filter((source) => source.linkOptions !== undefined)
    return createKnowledgeCache(config, {
      sources,
      tokenCounter: counter,
      ...(deps.redis === undefined ? {} : { redis: deps.redis }),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.instrumentation === undefined ? {} : { instrumentation: deps.instrumentation }),
      ...(deps.logger === undefined ? {} : { logger: deps.logger })
    })
  }

  /** Every typed reading of a candidate, from the in-memory typed sources, in source order. */
  async function linkOptionsOf (candidate: Candidate, text: string): Promise<LinkOption[]> {
    const surface = candidate.query ?? candidate.text
    const { key, display } = normaliseEntity(surface)
    if (key.length === 0) return []
    const kind = candidate.kind ?? 'text'
    const tag = kind === 'text' ? undefined : candidate.text.slice(1)
    const options: LinkOption[] = []
    for (const source of typedSources) {
      // A tag asks the catalogue by its body; other sources read its segmented words.
      options.push(...await (source.linkOptions as NonNullable<KnowledgeSource['linkOptions']>)({ key, display, kind, ...(tag === undefined ? {} : { tag }) }))
    }
    if (kind === 'text') options.push(...await commonNounContext(key, text.slice(candidate.end)))
    return withoutOutrankedTowns(options)
  }

  /**
   * The catalogue brand a several-word text mention's first words name
   * (`Samsung Galaxy S24` -> `Samsung`, `LEGO Star Wars set` -> `LEGO`), the
   * longest such prefix, when no catalogue entry is the whole mention. Only
   * a name written as one (a capital letter) and only an entry that is a
   * brand itself (ORG, no brand of its own) counts.
   */
  async function namedBrandOf (candidate: Candidate, options: readonly LinkOption[]): Promise<string | undefined> {
    const catalogue = typedSources.find((source) => source.name === 'catalogue')
    if (catalogue?.linkOptions === undefined || (candidate.kind ?? 'text') !== 'text') return undefined
    if (options.some((option) => option.source === 'catalogue' && option.match !== 'context')) return undefined
    const words = candidate.text.split(/\s+/u).filter((word) => word.length > 0)
    for (let n = words.length - 1; n >= 1; n--) {
      const prefix = words.slice(0, n).join(' ')
      if (!/\p{Lu}/u.test(prefix)) continue
      const { key, display } = normaliseEntity(prefix)
      if (key.length === 0) continue
      const brand = (await catalogue.linkOptions({ key, display, kind: 'text' }))
        .find((option) => option.type === 'ORG' && option.match === 'name' && option.brand === undefined)
      if (brand !== undefined) return brand.title
    }
    return undefined
  }

  /**
   * `Apple pie`, `Amazon river`: when the mention and the word after it form
   * a WordNet noun, the post uses the name as a common noun or another thing,
   * and no ambiguous id is trusted (src/stages/linking.ts).
   */
  async function commonNounContext (key: string, after: string): Promise<LinkOption[]> {
    const next = /^\s+(\p{L}+)/u.exec(after)?.[1]
    const wordnet = typedSources.find((source) => source.name === 'wordnet')
    if (next === undefined || wordnet?.linkOptions === undefined) return []
    const compound = `${key} ${next.toLowerCase()}`
    const found = await wordnet.linkOptions({ key: compound, display: compound, kind: 'text' })
    return found.slice(0, 1).map((option) => ({ ...option, match: 'context' as const }))
  }

  /**
   * What a candidate's prompt knowledge is looked up by: a tag the catalogue
   * resolved is asked as the entity's name (`@TMobile` -> `T-Mobile`), any
   * other tag as its segmented words, a text mention as written.
   */
  function lookupSurface (candidate: Candidate, options: readonly LinkOption[]): string {
    if ((candidate.kind ?? 'text') !== 'text') {
      const resolved = options.find((option) => option.source === 'catalogue' && option.match !== 'name')
      if (resolved !== undefined) return resolved.title
    }
    return candidate.query ?? candidate.text
  }

  async function joinBatch (batch: PostWork[]): Promise<void> {
    const active = cache
    const keys = new Map<string, string>()
    for (const work of batch) {
      await Promise.all(work.candidates.map(async (record) => {
        record.links = await linkOptionsOf(record.candidate, work.post.text)
        const namedBrand = await namedBrandOf(record.candidate, record.links)
        if (namedBrand !== undefined) record.namedBrand = namedBrand
      }))
    }
    const keyOf = new Map(batch.flatMap((work) => work.candidates).map((record) => {
      const surface = lookupSurface(record.candidate, record.links ?? [])
      const key = normaliseEntityKey(surface)
      if (key.length > 0 && !keys.has(key)) keys.set(key, surface)
      return [record, key] as const
    }))
    const found = new Map<string, Knowledge | null>()
    if (active !== undefined && keys.size > 0) {
      const limit = pLimit(config.maxConcurrentLookups)
      // A cooperative deadline: lookups still running answer null when it passes, keys still queued are not asked.
      await timeout(config.stageTimeoutMs, TimeoutStrategy.Cooperative).execute(async (_context, signal) => {
        // One listener per lookup in flight; the default cap of 10 would warn at normal concurrency.
        setMaxListeners(config.maxConcurrentLookups + 10, signal)
        await Promise.all(Array.from(keys, ([key, surface]) => limit(async () => {
          if (!signal.aborted) found.set(key, await active.lookup(surface, { signal }))
        })))
      })
    }
    for (const [record, key] of keyOf) {
      record.knowledge = found.get(key) ?? null
      // Sources with no typed index (Wikipedia) offer what they answered, typed from its description.
      const fromKnowledge = linkOptionFromKnowledge(record.knowledge, typedSources.map((source) => source.name))
      if (fromKnowledge !== null) record.links = [...(record.links ?? []), fromKnowledge]
    }
  }

  return {
    name: 'knowledge',
    async init (): Promise<void> {
      if (!config.enabled || cache !== undefined) {
        await cache?.init()
        return
      }
      if (config.tokenizerPath !== undefined) counter = await loadTokenCounter(config.tokenizerPath)
      cache = buildCache()
      await cache.init()
    },
    async run (batch: PostWork[]): Promise<PostWork[]> {
      if (config.enabled) await joinBatch(batch)
      else {
        for (const record of batch.flatMap((work) => work.candidates)) {
          record.knowledge = null
          record.links = []
        }
      }
      return batch
    },
    async close (): Promise<void> {
      // Only a cache this stage built is this stage's to close.
      if (deps.cache === undefined) await cache?.close()
    }
  }
}
