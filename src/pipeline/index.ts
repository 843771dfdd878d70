// The pipeline: micro-batching, pipelined stages, offset watermarks, retry.
export { Pipeline, NO_EVENTS } from './runner.js'
export type { PipelineOptions, PipelineEvents, PostOutcome, PostDoneEvent, SinkBatchEvent } from './runner.js'
export { POST_CAPS, analysedLength, limitAfterStage, limitOnAdmission } from './limits.js'
export type { PostCap, PostLimits } from './limits.js'
export { MicroBatcher } from './batcher.js'
export type { MicroBatcherOptions } from './batcher.js'
export { AsyncQueue } from './async-queue.js'
export { PartitionWatermark } from './watermark.js'
export { retry, backoffDelay, sleep } from './retry.js'
export type { RetryOptions } from './retry.js'
export { STAGE_NAMES, DEAD_LETTER_REASONS } from './types.js'
export type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterSink,
  PostWork,
  Sink,
  SinkOutcome,
  SourceCoordinates,
  Stage,
  StageBatchEvent,
  StageInstrumentation,
  StageName
} from './types.js'
