// The pipeline: micro-batching, pipelined stages, offset watermarks. Retry
// lives in shared/; `sleep` is re-exported for the loops that pace themselves.
export { sleep } from '../shared/index.js'
export { Pipeline, NO_EVENTS } from './runner.js'
export type { PipelineOptions, PipelineEvents, PostOutcome, PostDoneEvent, SinkBatchEvent } from './runner.js'
export { analysedLength, limitAfterStage, limitOnAdmission } from './limits.js'
export type { PostCap, PostLimits } from './limits.js'
export { MicroBatcher } from './batcher.js'
export type { MicroBatcherOptions } from './batcher.js'
export { AsyncQueue } from './async-queue.js'
export { PartitionWatermark } from './watermark.js'
export { STAGE_NAMES } from './types.js'
export type {
  CandidateRecord,
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
