// Trims knowledge text to the stage-2 prompt's knowledge budget (48 sub-tokens
// in docs/model-contract.md). Cut at word boundaries, never mid-word, and the
// same text always yields the same cut, so training and serving agree.
import { loadTokenizer } from '../runtime/index.js'

export interface TokenCounter {
  /** `wordpiece` counts with the model's tokenizer; `approximate` estimates per word. */
  readonly kind: 'wordpiece' | 'approximate'
  /** Sub-tokens of one whitespace-free word. */
  countWord (word: string): number
}

const PIECES = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu

/**
 * Without the tokenizer: each punctuation character is one sub-token, each
 * letter/digit run is one per started 6 characters. WordPiece over an English
 * vocabulary averages fewer pieces than that, so the estimate errs long and a
 * trimmed text fits under the real tokenizer too.
 */
export const approximateTokenCounter: TokenCounter = Object.freeze({
  kind: 'approximate' as const,
  countWord (word: string): number {
    let count = 0
    for (const match of word.matchAll(PIECES)) {
      const piece = match[0]
      count += /^[\p{L}\p{M}\p{N}]/u.test(piece) ? Math.max(1, Math.ceil(piece.length / 6)) : 1
    }
    return Math.max(count, 1)
  }
})

/** Loads the stage-1 tokenizer.json from an explicit local path; a missing file is a coded error naming it. */
export async function loadTokenCounter (tokenizerJsonPath: string): Promise<TokenCounter> {
  const tokenizer = await loadTokenizer(tokenizerJsonPath)
  return Object.freeze({
    kind: 'wordpiece' as const,
    countWord (word: string): number {
      return Math.max(1, tokenizer.encode(word, { add_special_tokens: false }).length)
    }
  })
}

/** The longest whole-word prefix of `text` within `budget` sub-tokens; whitespace collapsed. */
export function trimToBudget (text: string, budget: number, counter: TokenCounter = approximateTokenCounter): string {
  const words = text.split(/\s+/u).filter((word) => word.length > 0)
  const kept: string[] = []
  let used = 0
  for (const word of words) {
    const cost = counter.countWord(word)
    if (used + cost > budget) break
    kept.push(word)
    used += cost
  }
  return kept.join(' ')
}
