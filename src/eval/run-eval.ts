// Runs the service's own stages over a labelled split and scores them.
import type { EntityType, Post } from '../contracts/index.js'
import { newPostWork } from '../consumers/index.js'
import type { PostWork, Stage } from '../pipeline/types.js'
import type { DatasetTweet } from './dataset.js'
import { evaluate, type DocumentPair, type EvaluationScores, type PixelBox, type PredictedEntity } from './metrics.js'

export interface EvalRunOptions {
  batchSize: number
  withImages?: boolean
  onProgress?: (done: number, total: number) => void
  /** Sees each processed batch with its tweets (the threshold sweep records them). */
  onBatch?: (batch: readonly PostWork[], tweets: readonly DatasetTweet[]) => void
}

export interface EvalRun {
  scores: EvaluationScores
  documents: DocumentPair[]
  durationMs: number
  postsPerSecond: number
}

const EVAL_TIMESTAMP = '2000-01-01T00:00:00Z'

/**
 * A data-set tweet as the service would receive it. With `withImage`, the
 * post links `https://images.invalid/<IMGID>.jpg`, which the eval command's
 * folder fetcher maps to a file of the images folder (no network involved).
 */
function tweetToWork (tweet: DatasetTweet, index: number, withImage = false): PostWork {
  const imageUrls = withImage ? [`https://images.invalid/${encodeURIComponent(tweet.imageId)}.jpg`] : []
  const post: Post = { id: `${tweet.imageId}#${index}`, text: tweet.text, created_at: EVAL_TIMESTAMP, image_urls: imageUrls }
  return newPostWork(post, { topic: 'eval', partition: 0, offset: String(index) })
}

function toPixels (box: { x: number, y: number, w: number, h: number }, size: { width: number, height: number } | null): PixelBox | null {
  if (size === null) return null
  return { xmin: box.x * size.width, ymin: box.y * size.height, xmax: (box.x + box.w) * size.width, ymax: (box.y + box.h) * size.height }
}

export function workToPrediction (work: PostWork, tweet: DatasetTweet): DocumentPair {
  const predicted: PredictedEntity[] = work.entities.map((entity) => ({
    start: entity.candidate.start,
    end: entity.candidate.end,
    type: entity.type as EntityType,
    box: entity.grounding === null ? null : toPixels(entity.grounding.box, tweet.imageSize)
  }))
  return {
    gold: tweet.entities,
    predicted,
    candidates: work.candidates.map(({ candidate }) => ({ start: candidate.start, end: candidate.end }))
  }
}

export async function runEvaluation (tweets: readonly DatasetTweet[], stages: readonly Stage[], options: EvalRunOptions): Promise<EvalRun> {
  const started = performance.now()
  const documents: DocumentPair[] = []
  for (let i = 0; i < tweets.length; i += options.batchSize) {
    const slice = tweets.slice(i, i + options.batchSize)
    let batch = slice.map((tweet, j) => tweetToWork(tweet, i + j, options.withImages === true))
    for (const stage of stages) batch = await stage.run(batch)
    batch.forEach((work, j) => documents.push(workToPrediction(work, slice[j] as DatasetTweet)))
    options.onBatch?.(batch, slice)
    options.onProgress?.(Math.min(i + options.batchSize, tweets.length), tweets.length)
  }
  const durationMs = performance.now() - started
  return { scores: evaluate(documents), documents, durationMs, postsPerSecond: tweets.length / (durationMs / 1000) }
}

/**
 * One JSON line per post for error analysis: its text, the gold entities, what
 * the stages predicted (typed) and the stage-1 candidates, each with its text.
 */
export function predictionLines (tweets: readonly DatasetTweet[], documents: readonly DocumentPair[]): string[] {
  return tweets.map((tweet, i) => {
    const document = documents[i] as DocumentPair
    const withText = <T extends { start: number, end: number }>(entity: T): T & { text: string } => ({ ...entity, text: tweet.text.slice(entity.start, entity.end) })
    return JSON.stringify({
      id: tweet.imageId,
      text: tweet.text,
      gold: document.gold.map(({ start, end, type }) => withText({ start, end, type })),
      predicted: document.predicted.map(({ start, end, type }) => withText({ start, end, type })),
      candidates: (document.candidates ?? []).map(withText)
    })
  })
}

/** Lower-cased surface forms of the gold entities of a split (what training has seen). */
export function seenSurfaces (tweets: readonly DatasetTweet[]): Set<string> {
  return new Set(tweets.flatMap((tweet) => tweet.entities.map((entity) => entity.text.toLowerCase())))
}

/**
 * Scores restricted to entities whose surface form never occurs as an entity
 * in the training split (the view of SCANNER's Table 8): gold and predicted
 * entities with a seen surface are both left out.
 */
export function evaluateUnseen (documents: readonly DocumentPair[], texts: readonly string[], seen: ReadonlySet<string>): EvaluationScores {
  const unseen = (text: string, entity: { start: number, end: number }): boolean => !seen.has(text.slice(entity.start, entity.end).toLowerCase())
  return evaluate(documents.map((document, i) => {
    const text = texts[i] ?? ''
    return {
      gold: document.gold.filter((entity) => unseen(text, entity)),
      predicted: document.predicted.filter((entity) => unseen(text, entity)),
      candidates: document.candidates?.filter((entity) => unseen(text, entity))
    }
  }))
}
