// The unit of work that flows through the stages. Each stage fills in its own
// fields and returns the same items, in the same order.
import type { Candidate, ImageContext, Knowledge, LinkOption, Post, RecognisedEntity, Word } from '../contracts/index.js'

export const STAGE_NAMES = ['stage1', 'knowledge', 'image', 'stage2'] as const
export type StageName = typeof STAGE_NAMES[number]

export interface PostWork {
  readonly post: Post
  /** Kafka (or file) coordinates, carried so the consumer can move offsets once indexed. */
  readonly source: SourceCoordinates
  /** The analysed prefix split into words by stage 1; candidates' word indices point into it, and stage 2 reads it. */
  words?: Word[]
  /** Stage 1's candidates, each with what the later stages found for it (one record per candidate). */
  candidates: CandidateRecord[]
  image: ImageContext
  entities: RecognisedEntity[]
  /** Length of the post text's prefix the models read (the whole text when absent); set on admission. */
  analysedChars?: number
  /** The per-post caps that cut something from this post (see limits.ts). */
  truncated?: Array<'chars' | 'candidates' | 'mentions'>
  /** Milliseconds spent in each stage for this item's batch, set by the runner (stages do not time themselves). */
  timings: Partial<Record<StageName, number>>
}

/** One stage-1 candidate and what the knowledge and image stages found for it; stage 2 reads it whole. */
export interface CandidateRecord {
  readonly candidate: Candidate
  /** The knowledge joined to the candidate, or null (stage 1 sets null; the knowledge stage fills it). */
  knowledge: Knowledge | null
  /** Every typed reading the knowledge stage found; stage 2 links at most one. Absent: none looked up. */
  links?: LinkOption[]
  /**
   * A catalogue brand (ORG) the first words of a several-word text mention
   * name, when the whole mention is not in the catalogue: `Samsung` for
   * `Samsung Galaxy S24`, `LEGO` for `LEGO Star Wars`. Never a link: only
   * the brand the mention's document is counted under (src/sinks/documents.ts).
   */
  namedBrand?: string
  /** Indices into `image.regions`, most relevant first, as the image stage ordered them. Absent: the regions' own order. */
  regionOrder?: number[]
  /** Aligned with `image.regions`: the image stage's similarity (cosine) of this candidate to each region, for grounding. */
  regionSimilarity?: number[]
}

export interface SourceCoordinates {
  topic: string
  partition: number
  offset: string
}

export interface StageBatchEvent {
  stage: StageName
  size: number
  durationMs: number
}

/** The runner reports each stage's batches through this; one adapter turns the events into Prometheus metrics. */
export interface StageInstrumentation {
  batchEnd (event: StageBatchEvent): void
}

/**
 * A pipeline stage. `run` returns one item per input, in order, and must not
 * throw for a single bad item: it records what went wrong on that item instead.
 */
export interface Stage {
  readonly name: StageName
  /**
   * Batches the stage works on at once (an integer >= 1; absent means 1). The
   * runner starts this many workers on the stage's input queue, so a batch
   * waiting on I/O (the image stage's slow hosts) does not hold the next one;
   * batches may then leave the stage, and reach the sink, out of order. `run`
   * must allow as many calls at once.
   */
  readonly concurrency?: number
  init (): Promise<void>
  run (batch: PostWork[]): Promise<PostWork[]>
  close (): Promise<void>
}

/** What a sink says about one item it was given: indexed, or rejected for good. */
export type SinkOutcome =
  | { ok: true, documents: number }
  | { ok: false, reason: string, detail: string }

/**
 * Where finished items go. `write` returns one outcome per item, in order; it
 * retries what can succeed by itself and throws only when it gives up (the
 * signal aborted, or its retry budget ran out), so nothing is silently lost.
 */
export interface Sink {
  readonly name: string
  init (): Promise<void>
  write (items: readonly PostWork[], signal: AbortSignal): Promise<SinkOutcome[]>
  close (): Promise<void>
}

export type DeadLetterReason = 'invalid_json' | 'invalid_encoding' | 'schema_violation' | 'oversized' | 'sink_rejected'

/** A record the service gave up on, with why and where it came from. */
export interface DeadLetter {
  reason: DeadLetterReason
  detail: string
  source: SourceCoordinates
  key: Buffer | string | null
  value: Buffer | string | null
  postId?: string
}

export interface DeadLetterSink {
  publish (records: readonly DeadLetter[]): Promise<void>
  close (): Promise<void>
}
