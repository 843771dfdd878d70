// Splitting raw post text into the words the models work on, and the word
// shape ids that give the uncased encoder its case information. Both follow
// docs/model-contract.md exactly; the Python trainer implements the same rules.
import type { Word } from '../contracts/index.js'

// URLs, hashtags, mentions, runs of letters/digits/marks (with inner
// apostrophes or hyphenated parts kept together), or any other single
// non-space character (punctuation, emoji). Tweets in the training data are
// tokenised the same way: punctuation stands alone.
const WORD_PATTERN = /(?:https?:\/\/|www\.)[^\s]+|[#@][\p{L}\p{N}\p{M}_]+|[\p{L}\p{N}\p{M}_]+(?:['’-][\p{L}\p{N}\p{M}_]+)*|\p{Extended_Pictographic}(?:\u200d\p{Extended_Pictographic}|\u{fe0f}|\p{Emoji_Modifier})*|[^\s]/gu

export function splitWords (text: string): Word[] {
  const words: Word[] = []
  for (const match of text.matchAll(WORD_PATTERN)) {
    const start = match.index
    words.push({ text: match[0], start, end: start + match[0].length })
  }
  return words
}

export const SHAPE_PAD = 0

function isCased (char: string): boolean {
  return char.toUpperCase() !== char.toLowerCase()
}

function isUpper (char: string): boolean {
  return char === char.toUpperCase()
}

/** The shape id of a word (table in docs/model-contract.md). */
export function wordShape (word: string): number {
  if (word.startsWith('#')) return 1
  if (word.startsWith('@')) return 2
  const lower = word.toLowerCase()
  if (lower.startsWith('http://') || lower.startsWith('https://') || lower.startsWith('www.')) return 3
  const cased = Array.from(word).filter(isCased)
  if (cased.length === 0) return /\p{Nd}/u.test(word) ? 8 : 9
  const upper = cased.filter(isUpper).length
  if (cased.length >= 2 && upper === cased.length) return 4
  if (isUpper(cased[0] as string) && upper === 1) return 5
  if (upper === 0) return 6
  return 7
}
