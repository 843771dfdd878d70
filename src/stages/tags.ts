// Handles and hashtags as candidates of their own. Twitter-GMNER never
// annotates them, so stage 1 learned to skip them; a brand team counts them
// first. Every `#word`/`@word` of a post becomes a candidate unless a stage-1
// span already covers it: a span that is exactly the tag takes the tag's kind
// and segmented reading, a longer span that contains it wins and the tag adds
// nothing (no mention is counted twice). Whether the tag names an entity at
// all is stage 2's call (`#tbt`, `#love`, `@user123` are dropped there).
import type { Candidate, MentionKind, Word } from '../contracts/index.js'
import { segmentTag, type WordSegmenter } from './segment.js'

/** Span score of a tag candidate: the sigil marks the span for certain; entity-ness is stage 2's. */
export const TAG_SPAN_SCORE = 1

function tagKind (word: string): MentionKind | null {
  if (word.startsWith('#') || word.startsWith('＃')) return 'hashtag'
  if (word.startsWith('@') || word.startsWith('＠')) return 'handle'
  return null
}

/** The body of a tag worth reading: letters in it, and not the tail of an e-mail address or URL. */
function tagBody (text: string, word: Word): string | null {
  const body = word.text.slice(1)
  if (!/\p{L}/u.test(body)) return null
  const before = word.start > 0 ? text[word.start - 1] ?? '' : ''
  if (/[\p{L}\p{N}_./]/u.test(before)) return null
  return body
}

/** Stage-1 candidates plus one candidate per uncovered hashtag or handle, in text order. */
export function withTagCandidates (postId: string, text: string, words: readonly Word[], spans: readonly Candidate[], segmenter: WordSegmenter | null): Candidate[] {
  const candidates = spans.map((span) => ({ ...span }))
  const added: Candidate[] = []
  words.forEach((word, index) => {
    const kind = tagKind(word.text)
    if (kind === null) return
    const body = tagBody(text, word)
    if (body === null) return
    const exact = candidates.find((candidate) => candidate.wordStart === index && candidate.wordEnd === index + 1)
    if (exact !== undefined) {
      exact.kind = kind
      exact.query = segmentTag(body, segmenter)
      return
    }
    if (candidates.some((candidate) => candidate.wordStart <= index && index < candidate.wordEnd)) return
    added.push({
      postId,
      text: word.text,
      start: word.start,
      end: word.end,
      wordStart: index,
      wordEnd: index + 1,
      score: TAG_SPAN_SCORE,
      kind,
      query: segmentTag(body, segmenter)
    })
  })
  if (added.length === 0) return candidates
  return [...candidates, ...added].sort((a, b) => a.start - b.start)
}
