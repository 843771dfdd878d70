// Chooses the decision thresholds on a labelled split: one permissive run of
// the stages records every candidate's span score and stage-2 probabilities,
// then each grid point re-applies the service's own rules (stage 1's
// minSpanScore filter, stage 2's decideType) and scores the result. Stage 2
// types each candidate independently of the others (batch-invariant models),
// so this equals running the stages with those thresholds.
import type { EntityType } from '../contracts/index.js'
import type { PostWork } from '../pipeline/index.js'
import { decideType } from '../stages/index.js'
import type { DatasetTweet } from './dataset.js'
import { evaluate, type DocumentPair, type EvaluationScores } from './metrics.js'
import { workToPrediction } from './run-eval.js'

export interface Thresholds {
  minSpanScore: number
  maxNoneScore: number
  minTypeScore: number
}

export interface SweepPoint extends Thresholds {
  scores: EvaluationScores
}

const steps = (from: number, to: number, step: number): number[] => {
  const out: number[] = []
  for (let value = from; value <= to + 1e-9; value += step) out.push(Math.round(value * 100) / 100)
  return out
}

const DEFAULT_GRID = Object.freeze({
  minSpanScore: steps(0.1, 0.9, 0.05),
  maxNoneScore: steps(0.3, 0.9, 0.05),
  minTypeScore: [0, 0.2, 0.3, 0.4, 0.5]
})

/** One document of the sweep: the permissive run's work and its gold tweet. */
export interface RecordedPost {
  work: PostWork
  tweet: DatasetTweet
}

/** Re-decides one recorded post under `thresholds`; entities without recorded probabilities keep their type. */
export function redecide ({ work, tweet }: RecordedPost, thresholds: Thresholds): DocumentPair {
  const pair = workToPrediction(work, tweet)
  const kept = work.entities.flatMap((entity) => {
    if (entity.candidate.score < thresholds.minSpanScore) return []
    if (entity.typeScores === undefined) return [{ entity, type: entity.type }]
    const decision = decideType(entity.typeScores, thresholds)
    return decision === null ? [] : [{ entity, type: decision.type }]
  })
  const full = new Map(work.entities.map((entity, i) => [entity, pair.predicted[i]]))
  return {
    gold: pair.gold,
    predicted: kept.flatMap(({ entity, type }) => {
      const predicted = full.get(entity)
      return predicted === undefined ? [] : [{ ...predicted, type: type as EntityType }]
    }),
    candidates: work.candidates.filter(({ candidate }) => candidate.score >= thresholds.minSpanScore).map(({ candidate }) => ({ start: candidate.start, end: candidate.end }))
  }
}

/** Every grid point's scores, best MNER F1 first. */
export function sweep (posts: readonly RecordedPost[], grid: typeof DEFAULT_GRID = DEFAULT_GRID): SweepPoint[] {
  const points: SweepPoint[] = []
  for (const minSpanScore of grid.minSpanScore) {
    for (const maxNoneScore of grid.maxNoneScore) {
      for (const minTypeScore of grid.minTypeScore) {
        const thresholds = { minSpanScore, maxNoneScore, minTypeScore }
        points.push({ ...thresholds, scores: evaluate(posts.map((post) => redecide(post, thresholds))) })
      }
    }
  }
  return points.sort((a, b) => b.scores.mner.f1 - a.scores.mner.f1)
}

/** What choosing thresholds on one half of a split gains on the other half. */
export interface HeldOutEstimate {
  /** One per half: thresholds chosen on the other half, scored on this one. */
  folds: Array<{ chosen: Thresholds, defaultF1: number, chosenF1: number }>
  /** Mean over the folds of chosen minus default MNER F1 (a fraction). */
  meanGain: number
}

/**
 * Choosing thresholds on the same split they are scored on flatters them.
 * This estimates the real gain: the posts are halved twice (first/second
 * half, even/odd positions); for each half, the best grid point of the other
 * half is scored on it beside `defaults`.
 */
export function heldOutGain (posts: readonly RecordedPost[], defaults: Thresholds, grid: typeof DEFAULT_GRID = DEFAULT_GRID): HeldOutEstimate {
  const middle = Math.floor(posts.length / 2)
  const halvings: Array<[RecordedPost[], RecordedPost[]]> = [
    [posts.slice(0, middle), posts.slice(middle)],
    [posts.filter((_, i) => i % 2 === 0), posts.filter((_, i) => i % 2 === 1)]
  ]
  const mnerF1 = (half: readonly RecordedPost[], thresholds: Thresholds): number => evaluate(half.map((post) => redecide(post, thresholds))).mner.f1
  const folds = halvings.flatMap(([a, b]) => [[a, b], [b, a]] as const).map(([choose, score]) => {
    const best = sweep(choose, grid)[0]
    if (best === undefined) throw new Error('heldOutGain needs a non-empty grid')
    const chosen = { minSpanScore: best.minSpanScore, maxNoneScore: best.maxNoneScore, minTypeScore: best.minTypeScore }
    return { chosen, defaultF1: mnerF1(score, defaults), chosenF1: mnerF1(score, chosen) }
  })
  const meanGain = folds.reduce((sum, fold) => sum + fold.chosenF1 - fold.defaultF1, 0) / folds.length
  return { folds, meanGain }
}
