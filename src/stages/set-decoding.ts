// Turning the MQSPN recogniser's set predictions into typed spans. Mirrors
// `decode_post` in training/gmner/mqspn.py, which produced the dev figures.
import { ENTITY_TYPES } from '../contracts/index.js'
import { softmax } from './decoding.js'
import type { WordSpan } from './decoding.js'
import type { TypeDecisionOptions } from './decision.js'

export interface SetSpan extends WordSpan {
  /** Softmax over PER, LOC, ORG, OTHER, NONE of the query that predicted the span. */
  typeScores: number[]
}

export interface SetPrediction {
  /** [queries x labels] type logits of one sequence. */
  typeLogits: ArrayLike<number>
  /** [queries x positions] start / end pointer logits of one sequence. */
  startLogits: ArrayLike<number>
  endLogits: ArrayLike<number>
  queries: number
  /** Sequence width the pointer logits were computed over (padded). */
  width: number
}

export interface SetDecodingOptions extends TypeDecisionOptions {
  /** Longest span a query may point at, in words. */
  maxSpanWords: number
}

const LABELS = ENTITY_TYPES.length + 1

/**
 * One sequence's entities. A query is an entity when its NONE probability is
 * below `maxNoneScore` and its best type reaches `minTypeScore` (the rule of
 * src/stages/decision.ts); its span is the most probable start ≤ end within
 * `maxSpanWords`, read at each word's first sub-token (`firstSubtoken`, -1 for
 * words truncated away). Overlapping predictions keep the one with the highest
 * type probability × √(p_start × p_end); the span score is √(p_start × p_end).
 */
export function decodeSetPredictions (prediction: SetPrediction, firstSubtoken: readonly number[], options: SetDecodingOptions): SetSpan[] {
  const words: number[] = []
  const positions: number[] = []
  firstSubtoken.forEach((position, word) => {
    if (position < 0) return
    words.push(word)
    positions.push(position)
  })
  if (words.length === 0) return []
  const found: Array<{ rank: number, span: SetSpan }> = []
  for (let q = 0; q < prediction.queries; q++) {
    const typeScores = softmax(prediction.typeLogits, q * LABELS, LABELS)
    let best = 0
    for (let t = 1; t < ENTITY_TYPES.length; t++) if ((typeScores[t] as number) > (typeScores[best] as number)) best = t
    if ((typeScores[ENTITY_TYPES.length] as number) >= options.maxNoneScore || (typeScores[best] as number) < options.minTypeScore) continue
    const start = softmax(positions.map((position) => prediction.startLogits[q * prediction.width + position] as number))
    const end = softmax(positions.map((position) => prediction.endLogits[q * prediction.width + position] as number))
    let bestJoint = -1
    let s = 0
    let e = 0
    for (let i = 0; i < words.length; i++) {
      for (let j = i; j < Math.min(words.length, i + options.maxSpanWords); j++) {
        const joint = (start[i] as number) * (end[j] as number)
        if (joint > bestJoint) {
          bestJoint = joint
          s = i
          e = j
        }
      }
    }
    const score = Math.sqrt(bestJoint)
    found.push({
      rank: (typeScores[best] as number) * score,
      span: { start: words[s] as number, end: (words[e] as number) + 1, score, typeScores }
    })
  }
  found.sort((a, b) => b.rank - a.rank)
  const kept: SetSpan[] = []
  for (const { span } of found) {
    if (kept.every((other) => span.end <= other.start || span.start >= other.end)) kept.push(span)
  }
  return kept.sort((a, b) => a.start - b.start)
}
