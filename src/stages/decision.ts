// How stage 2's five probabilities become a typed mention or nothing. One
// rule, used by the service and by `groundstream eval` (whose --sweep
// re-applies it to recorded probabilities to choose the shipped thresholds).
import { ENTITY_TYPES, type EntityType } from '../contracts/index.js'

export interface TypeDecisionOptions {
  /** A candidate whose NONE probability is at least this is not an entity. */
  maxNoneScore: number
  /** A mention whose chosen type has a lower probability than this is dropped. */
  minTypeScore: number
}

export interface TypeDecision {
  type: EntityType
  /** Probability of the chosen type (softmax over the five labels). */
  score: number
}

/**
 * `scores` is the softmax over PER, LOC, ORG, OTHER, NONE. The type is the
 * most probable of the four entity types, so a candidate the model finds
 * split between two types (0.35 ORG, 0.30 OTHER, 0.35 NONE) can still be kept
 * when NONE is not likely enough, which argmax over all five would not allow.
 */
export function decideType (scores: readonly number[], options: TypeDecisionOptions): TypeDecision | null {
  const none = scores[ENTITY_TYPES.length] ?? 0
  if (none >= options.maxNoneScore) return null
  let best = 0
  for (let i = 1; i < ENTITY_TYPES.length; i++) if ((scores[i] ?? 0) > (scores[best] ?? 0)) best = i
  const score = scores[best] ?? 0
  if (score < options.minTypeScore) return null
  return { type: ENTITY_TYPES[best] as EntityType, score }
}
