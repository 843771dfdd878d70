// Splitting a run-together hashtag or handle body into words. Case and digits
// do most of the work (`ParisFashionWeek`, `iPhone15`); an all-lower-case run
// (`blackfriday`) is split by a unigram segmenter over the frequency-ranked
// English word list that ships in the `wordsninja` package (its order is the
// word frequency rank; word cost is log(rank * log N), as in WordNinja). The
// package's own splitter keeps its dictionary in module-level globals, so
// only its word list is used.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { GroundstreamError } from '../errors/index.js'

export interface WordSegmenter {
  /** `blackfriday` -> [`black`, `friday`]; a run it cannot split well comes back whole. */
  split (run: string): string[]
}

/** lower→Upper (`parisFashion`) and acronym→Word (`BBCBreaking`) boundaries. */
const CAMEL_BOUNDARY = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/gu
/** Letters then digits (`iPhone15`, `Qatar2022`) when the letters are a word, not a code (`G7`, `COP28`). */
const LETTERS_DIGITS = /(?<=\p{L}{4,})(?=\p{N})/gu
/** Shorter all-lower-case runs are left whole: `tbt`, `ootd` are not run-together words. */
const MIN_SEGMENTED_RUN = 7
/** A split whose mean word cost is above this is a guess, not a reading. */
const MAX_MEAN_COST = 11

export async function loadWordSegmenter (file?: string): Promise<WordSegmenter> {
  const path = file ?? createRequire(import.meta.url).resolve('wordsninja/words-en.json')
  let words: unknown
  try {
    words = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `cannot read the word list at ${path}`, { cause: error, details: { path } })
  }
  if (!Array.isArray(words)) throw new GroundstreamError('GS_ERR_CONFIG', `word list at ${path} is not a JSON array`, { details: { path } })
  return createWordSegmenter(words.filter((word): word is string => typeof word === 'string'))
}

/** A segmenter over words ordered from most to least frequent. */
export function createWordSegmenter (rankedWords: readonly string[]): WordSegmenter {
  const cost = new Map<string, number>()
  const logN = Math.log(Math.max(rankedWords.length, 2))
  let maxLength = 1
  rankedWords.forEach((word, rank) => {
    const key = word.toLowerCase()
    // Single letters other than `a` and `i` are list noise that would shred unknown words.
    if (key.length === 1 && key !== 'a' && key !== 'i') return
    if (!cost.has(key)) cost.set(key, Math.log((rank + 1) * logN))
    maxLength = Math.max(maxLength, key.length)
  })
  return {
    split (run: string): string[] {
      const text = run.toLowerCase()
      const n = text.length
      const best = new Float64Array(n + 1).fill(Infinity)
      const from = new Int32Array(n + 1)
      best[0] = 0
      for (let end = 1; end <= n; end++) {
        for (let start = Math.max(0, end - maxLength); start < end; start++) {
          const wordCost = cost.get(text.slice(start, end))
          if (wordCost === undefined) continue
          const total = (best[start] as number) + wordCost
          if (total < (best[end] as number)) {
            best[end] = total
            from[end] = start
          }
        }
      }
      if (!Number.isFinite(best[n] as number)) return [run]
      const pieces: string[] = []
      for (let end = n; end > 0; end = from[end] as number) pieces.unshift(run.slice(from[end] as number, end))
      if (pieces.length > 1 && (best[n] as number) / pieces.length > MAX_MEAN_COST) return [run]
      return pieces
    }
  }
}

/**
 * A hashtag or handle body as words: `ParisFashionWeek` -> `Paris Fashion
 * Week`, `elon_musk` -> `elon musk`, `blackfriday` -> `black friday`,
 * `iPhone15` -> `iPhone 15`; `G7`, `NVIDIA` and `tbt` stay whole.
 */
export function segmentTag (body: string, segmenter: WordSegmenter | null): string {
  const parts = body.replace(/_+/gu, ' ').replace(CAMEL_BOUNDARY, ' ')
    // `iPhone`, `eBay`: one lower-case letter before a capital is part of the name.
    .replace(/(?<=^|\s)(\p{Ll}) (?=\p{Lu})/gu, '$1')
    .replace(LETTERS_DIGITS, ' ').split(' ').filter((part) => part.length > 0)
  const words = parts.flatMap((part) => segmenter !== null && part.length >= MIN_SEGMENTED_RUN && /^\p{Ll}+$/u.test(part) ? segmenter.split(part) : [part])
  return words.join(' ')
}
