// The pipeline's plumbing: what a stage, a sink and a dead-letter sink are,
// and how the runner reports a stage's batches. The unit of work they pass,
// PostWork, is a domain type (src/contracts/work.ts).
import type { PostWork, SourceCoordinates, StageName } from '../contracts/index.js'

export type { CandidateRecord, PostWork, SourceCoordinates, StageName } from '../contracts/index.js'
export { STAGE_NAMES } from '../contracts/index.js'

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
