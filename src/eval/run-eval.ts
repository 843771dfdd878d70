// Runs a labelled split through the service's own pipeline (the in-memory
// processor of service/in-memory.ts: the same stages, caps and micro-batching
// as `run`) and scores each post's final PostWork.
import type { EntityType, Post } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import type { PostWork } from '../pipeline/index.js'
import type { InMemoryProcessor } from '../service/index.js'
import type { DatasetTweet } from './dataset.js'
import { evaluate, type DocumentPair, type EvaluationScores, type PixelBox, type PredictedEntity } from './metrics.js'

export interface EvalRunOptions {
  withImages?: boolean
  onProgress?: (done: number, total: number) => void
}

export interface EvalRun {
  scores: EvaluationScores
  documents: DocumentPair[]
  /** Each tweet's final PostWork, in input order (the threshold sweep and the candidate dump read them). */
  works: PostWork[]
  durationMs: number
  postsPerSecond: number
}

const EVAL_TIMESTAMP = '2000-01-01T00:00:00Z'

/**
 * A data-set tweet as the service would receive it. With `withImage`, the
 * post links `https://images.invalid/<IMGID>.jpg`, which the eval command's
 * folder fetcher maps to a file of the images folder (no network involved).
 */
export function tweetToPost (tweet: DatasetTweet, index: number, withImage = false): Post {
  const imageUrls = withImage ? [`https://images.invalid/${encodeURIComponent(tweet.imageId)}.jpg`] : []
  return { id: `${tweet.imageId}#${index}`, text: tweet.text, created_at: EVAL_TIMESTAMP, image_urls: imageUrls }
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

/** Scores the tweets as the processor's pipeline handles them; every tweet must come back (none dead-lettered). */
export async function runEvaluation (tweets: readonly DatasetTweet[], processor: Pick<InMemoryProcessor, 'process'>, options: EvalRunOptions = {}): Promise<EvalRun> {
  const started = performance.now()
  const posts = tweets.map((tweet, i) => tweetToPost(tweet, i, options.withImages === true))
  const run = await processor.process(posts, { ...(options.onProgress === undefined ? {} : { onDone: options.onProgress }) })
  const lost = run.deadLetters[0]
  if (lost !== undefined || run.works.length !== tweets.length) {
    throw new GroundstreamError('GS_ERR_DATASET', `${tweets.length - run.works.length} of ${tweets.length} posts were not processed${lost === undefined ? '' : ` (first: ${lost.postId ?? lost.source.offset}, ${lost.reason}: ${lost.detail})`}`)
  }
  const documents = run.works.map((work, i) => workToPrediction(work, tweets[i] as DatasetTweet))
  const durationMs = performance.now() - started
  return { scores: evaluate(documents), documents, works: run.works, durationMs, postsPerSecond: tweets.length / (durationMs / 1000) }
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
