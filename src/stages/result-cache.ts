// No work twice: the text models' answers for inputs seen before. A firehose
// repeats itself (every retweet of a tweet carries the same "RT @author: …"
// text, copy-paste campaigns and bots post the same words), and stage 2 sees
// the same prompt whenever the same mention sits in the same sentence with
// the same knowledge and image. Because the models are batch-invariant
// (test/stages/batch-invariance.test.ts), a cached answer is exactly what the
// model would compute again, so the cache changes cost, never results.
//
// Keys are the model inputs themselves (a post's words for stage 1, so posts
// that differ only in spacing share an entry; the whole prompt for stage 2),
// prefixed with the model version. Entries are bounded by an estimate of
// their bytes (lru-cache). Repeats inside one call run once, and an input
// another call is computing right now waits for that answer.
import { LRUCache } from 'lru-cache'
import type { SetResult, SpanRequest, SpanResult, TextModels, TypeRequest, TypeResult } from './text-engine.js'

export type CachedStage = 'stage1' | 'stage2'

export interface ResultCacheCounts { hits: number, misses: number }
export type ResultCacheStats = Record<CachedStage, ResultCacheCounts>

export interface ResultCacheOptions {
  /** Upper bound of the cache's estimated size; 0 turns it off. */
  maxBytes: number
  /** Called once per call with that call's hits and misses (metrics). */
  onLookup?: (stage: CachedStage, counts: ResultCacheCounts) => void
}

export interface CachedTextModels {
  models: TextModels
  /** Hits and misses since the cache was made, per stage. */
  stats: () => ResultCacheStats
}

interface Entry { value: SpanResult | SetResult | TypeResult }

/** A rough size in bytes of a cached answer: numbers, small objects and the key's UTF-16 string. */
function entrySize (key: string, value: SpanResult | SetResult | TypeResult): number {
  let numbers = 0
  if ('scores' in value) numbers = value.scores.length + value.objScores.length
  else {
    numbers = value.spans.length * 8
    if ('wordProbabilities' in value && value.wordProbabilities !== undefined) numbers += value.wordProbabilities.length * 4
  }
  return 2 * key.length + 16 * numbers + 96
}

export function withResultCache (models: TextModels, options: ResultCacheOptions): CachedTextModels {
  const counts: ResultCacheStats = { stage1: { hits: 0, misses: 0 }, stage2: { hits: 0, misses: 0 } }
  const stats = (): ResultCacheStats => ({ stage1: { ...counts.stage1 }, stage2: { ...counts.stage2 } })
  if (options.maxBytes <= 0) return { models, stats }
  const cache = new LRUCache<string, Entry>({ maxSize: options.maxBytes, sizeCalculation: (entry, key) => entrySize(key, entry.value) })

  /** Inputs some call is computing right now: later calls wait for that answer instead of computing it again. */
  const pending = new Map<string, Promise<Entry['value']>>()

  /** Answers from the cache (or from a call already computing them); the rest, each distinct input once, from `compute`. */
  async function cached<Req, Res extends Entry['value']> (stage: CachedStage, requests: readonly Req[], keyOf: (request: Req) => string, compute: (misses: Req[]) => Promise<Res[]>): Promise<Res[]> {
    const results: Res[] = new Array(requests.length)
    const waits: Array<Promise<void>> = []
    const own = new Map<string, number[]>() // inputs this call computes -> the positions wanting them
    requests.forEach((request, i) => {
      const key = keyOf(request)
      const entry = cache.get(key)
      const inFlight = pending.get(key)
      if (entry !== undefined) results[i] = structuredClone(entry.value) as Res
      else if (inFlight !== undefined) waits.push(inFlight.then((value) => { results[i] = structuredClone(value) as Res }))
      else if (own.has(key)) own.get(key)?.push(i)
      else own.set(key, [i])
    })
    const misses = own.size
    counts[stage].hits += requests.length - misses
    counts[stage].misses += misses
    options.onLookup?.(stage, { hits: requests.length - misses, misses })
    if (misses > 0) {
      const keys = [...own.keys()]
      const running = compute(keys.map((key) => requests[(own.get(key) as number[])[0] as number] as Req))
      keys.forEach((key, k) => {
        const answer = running.then((computed) => computed[k] as Res)
        answer.catch(() => {}) // the failure reaches this call below; waiters get it through their own await
        pending.set(key, answer)
      })
      let computed: Res[]
      try {
        computed = await running
      } finally {
        for (const key of keys) pending.delete(key)
      }
      keys.forEach((key, k) => {
        const value = computed[k] as Res
        cache.set(key, { value: structuredClone(value) }) // the caller may change what it gets
        ;(own.get(key) as number[]).forEach((i, n) => { results[i] = n === 0 ? value : structuredClone(value) })
      })
    }
    await Promise.all(waits)
    return results
  }

  const { stage1, stage2 } = models.info
  const wrapped: TextModels = Object.freeze({
    info: models.info,
    detectSpans: async (requests: readonly SpanRequest[], callOptions: { withProbabilities?: boolean } = {}) => {
      const prefix = `s1|${stage1.version}|${callOptions.withProbabilities === true ? 'p' : '-'}|`
      return await cached('stage1', requests, (request) => prefix + JSON.stringify(request.words), async (misses) => await models.detectSpans(misses, callOptions))
    },
    recogniseSet: async (requests: readonly SpanRequest[]) => {
      const prefix = `set|${stage1.version}|`
      return await cached('stage1', requests, (request) => prefix + JSON.stringify(request.words), async (misses) => await models.recogniseSet(misses))
    },
    recogniseTypes: async (requests: readonly TypeRequest[]) => {
      const prefix = `s2|${stage2.version}|`
      const keyOf = (r: TypeRequest): string => prefix + JSON.stringify([r.entityWords, r.sentenceWords, r.knowledge, r.imageText, r.objectLabels])
      return await cached('stage2', requests, keyOf, async (misses) => await models.recogniseTypes(misses))
    },
    close: async () => {
      cache.clear()
      await models.close()
    }
  })
  return { models: wrapped, stats }
}
