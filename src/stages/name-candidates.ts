// Names the user tracks as candidates of their own. Stage 1 learned its spans
// from Twitter-GMNER, so it misses a brand written in lower case (`coke`), a
// product name it has never seen (`Apple Music`) or a name with an ending
// (`Patagonia's`); a brand team expects every name and alias of its own
// catalogue to be counted. Each run of words whose text is such a name (case,
// accents and spacing folded as the knowledge cache folds them; an ending
// after an apostrophe dropped) becomes a candidate unless a stage-1 span
// overlaps it without lying inside it: a span that is the name is kept, spans
// inside a longer name give way to it (`Apple` in `Apple Music`), a span that
// contains the name wins (`Acme Rockets Launch Team`). Whether the mention is
// the entry (`apple pie` is not Apple) is still stage 2's and the linker's
// call. Hashtags and handles are src/stages/tags.ts's.
import { nameWithoutSuffix, normaliseEntityKey, type Candidate, type Word } from '../contracts/index.js'
import { splitWords } from './words.js'

/** Span score of a name candidate: the user's catalogue names the span; entity-ness is stage 2's. */
export const NAME_SPAN_SCORE = 1

/** Longest name, in words, that is matched (longer aliases are left to stage 1). */
const MAX_NAME_WORDS = 8

export interface NameMatcher {
  /** How many distinct folded names it knows. */
  readonly size: number
  /** Longest name, in words. */
  readonly maxWords: number
  /** The end (exclusive) of the longest known name starting at word `start` of `keys` (the post's folded words), or null. */
  longestAt (keys: readonly WordKey[], start: number): number | null
}

/** A word folded as the knowledge cache folds names, and folded again without an ending after an apostrophe. */
export interface WordKey {
  key: string
  stem: string | null
  tag: boolean
}

export function wordKeys (words: readonly Word[]): WordKey[] {
  return words.map((word) => {
    const stem = nameWithoutSuffix(word.text)
    return { key: normaliseEntityKey(word.text), stem: stem === null ? null : normaliseEntityKey(stem), tag: /^[#@＃＠]/u.test(word.text) }
  })
}

/** A name as its folded words joined by one space: the same split and folding the post's words get. */
function nameKey (words: readonly string[]): string {
  return words.join(' ')
}

/** A matcher over the given names and aliases (handles and hashtags are skipped: tags.ts finds those). */
export function createNameMatcher (names: Iterable<string>): NameMatcher {
  const keys = new Set<string>()
  const firstWords = new Set<string>()
  let maxWords = 0
  for (const name of names) {
    if (/^[#@＃＠]/u.test(name.trim())) continue
    const folded = splitWords(name).map((word) => normaliseEntityKey(word.text))
    if (folded.length === 0 || folded.length > MAX_NAME_WORDS || (folded[0] as string).length === 0) continue
    keys.add(nameKey(folded))
    firstWords.add(folded[0] as string)
    maxWords = Math.max(maxWords, folded.length)
  }
  return Object.freeze({
    size: keys.size,
    maxWords,
    longestAt (post: readonly WordKey[], start: number): number | null {
      const first = post[start]
      if (first === undefined || first.tag) return null
      if (!firstWords.has(first.key) && (first.stem === null || !firstWords.has(first.stem))) return null
      const run: string[] = []
      let best: number | null = null
      for (let end = start + 1; end <= Math.min(post.length, start + maxWords); end++) {
        const word = post[end - 1] as WordKey
        if (word.tag) break
        // An ending is read off the last word only (`Patagonia's`, not `Patagonia's jacket`).
        if (word.stem !== null && keys.has(nameKey([...run, word.stem]))) best = end
        run.push(word.key)
        if (keys.has(nameKey(run))) best = end
      }
      return best
    }
  })
}

/** Stage-1 candidates plus one candidate per catalogue name in the text that no span already claims, in text order. */
export function withNameCandidates (postId: string, text: string, words: readonly Word[], spans: readonly Candidate[], matcher: NameMatcher): Candidate[] {
  if (matcher.size === 0) return [...spans]
  const keys = wordKeys(words)
  let candidates = [...spans]
  const added: Candidate[] = []
  let index = 0
  while (index < words.length) {
    const end = matcher.longestAt(keys, index)
    if (end === null) {
      index++
      continue
    }
    const overlapping = candidates.filter((candidate) => candidate.wordStart < end && index < candidate.wordEnd)
    const inside = overlapping.every((candidate) => index <= candidate.wordStart && candidate.wordEnd <= end)
    const same = overlapping.some((candidate) => candidate.wordStart === index && candidate.wordEnd === end)
    if (inside && !same) {
      candidates = candidates.filter((candidate) => !overlapping.includes(candidate))
      const first = words[index] as Word
      const last = words[end - 1] as Word
      added.push({ postId, text: text.slice(first.start, last.end), start: first.start, end: last.end, wordStart: index, wordEnd: end, score: NAME_SPAN_SCORE })
    }
    index = end
  }
  if (added.length === 0) return candidates
  return [...candidates, ...added].sort((a, b) => a.start - b.start)
}
