// The pipelined runner: posts are admitted up to maxInFlight, grouped into
// micro-batches across partitions, and passed through the stages and then the
// sink. Each stage has a bounded queue in front of it and works on one batch
// at a time, or on `stage.concurrency` batches (that many copies of the same
// worker loop on its queue), so stage 1 of batch k+1 runs while later stages
// work on batch k. The sink takes one batch at a time. Each admitted post's
// promise settles on its own once it is indexed or dead-lettered; the
// consumer moves offsets on that, never earlier.
import { GroundstreamError, errorMessage, wrapError } from '../errors/index.js'
import { AsyncQueue } from './async-queue.js'
import { MicroBatcher } from './batcher.js'
import { limitAfterStage, limitOnAdmission, type PostCap, type PostLimits } from './limits.js'
import type { DeadLetterSink, PostWork, Sink, StageBatchEvent, StageInstrumentation, Stage } from './types.js'

export type PostOutcome = 'indexed' | 'dead_lettered'

export interface SinkBatchEvent {
  size: number
  documents: number
  rejected: number
  durationMs: number
}

export interface PostDoneEvent {
  outcome: PostOutcome
  /** From admission into the pipeline to indexed. */
  pipelineMs: number
  /** From the post's created_at to indexed (NaN when created_at does not parse). */
  endToEndMs: number
  /** The per-post caps that cut something from this post. */
  truncated: readonly PostCap[]
}

/** Everything the runner reports; the metrics adapter implements it, tests pass plain objects. */
export interface PipelineEvents extends StageInstrumentation {
  batchFormed (size: number): void
  sinkEnd (event: SinkBatchEvent): void
  postDone (event: PostDoneEvent): void
  queueDepth (queue: string, depth: number): void
  deadLettered (reason: string, count: number): void
}

export const NO_EVENTS: PipelineEvents = Object.freeze({
  batchEnd: () => {},
  batchFormed: () => {},
  sinkEnd: () => {},
  postDone: () => {},
  queueDepth: () => {},
  deadLettered: () => {}
})

export interface PipelineOptions {
  stages: readonly Stage[]
  sink: Sink
  deadLetters: DeadLetterSink
  maxBatchSize: number
  maxWaitMs: number
  queueCapacity: number
  maxInFlight: number
  events?: PipelineEvents
  /** Per-post caps; absent means none (tools that pass hand-made posts). */
  limits?: PostLimits
  now?: () => number
  wallClock?: () => number
}

/** The stage's declared concurrency, checked once: an integer >= 1, 1 when absent. */
function stageConcurrency (stage: Stage): number {
  const concurrency = stage.concurrency ?? 1
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new GroundstreamError('GS_ERR_CONFIG', `stage ${stage.name}: concurrency must be an integer >= 1, got ${String(concurrency)}`)
  }
  return concurrency
}

interface Entry {
  work: PostWork
  admittedAt: number
  resolve: (outcome: PostOutcome) => void
  reject: (error: Error) => void
}

export class Pipeline {
  private readonly options: PipelineOptions
  private readonly events: PipelineEvents
  private readonly now: () => number
  private readonly wallClock: () => number
  private readonly batcher: MicroBatcher<Entry>
  /** queues[i] feeds stages[i]; the last one feeds the sink. */
  private readonly queues: Array<AsyncQueue<Entry[]>>
  /** Workers started per stage, aligned with options.stages. */
  private readonly concurrency: number[]
  private readonly pending = new Set<Entry>()
  private capacityWaiters: Array<() => void> = []
  private idleWaiters: Array<() => void> = []
  private workers: Array<Promise<void>> = []
  private readonly abortController = new AbortController()
  private started = false
  private closed = false
  private failure: GroundstreamError | null = null
  private failureListeners: Array<(error: GroundstreamError) => void> = []
  private batchesFormed = 0

  constructor (options: PipelineOptions) {
    if (options.maxInFlight < options.maxBatchSize) {
      throw new GroundstreamError('GS_ERR_CONFIG', `maxInFlight (${options.maxInFlight}) must be >= maxBatchSize (${options.maxBatchSize})`)
    }
    const names = options.stages.map((stage) => stage.name)
    if (new Set(names).size !== names.length) {
      throw new GroundstreamError('GS_ERR_CONFIG', `a stage appears twice: ${names.join(', ')}`)
    }
    this.concurrency = options.stages.map(stageConcurrency)
    this.options = options
    this.events = options.events ?? NO_EVENTS
    this.now = options.now ?? (() => performance.now())
    this.wallClock = options.wallClock ?? Date.now
    this.queues = Array.from({ length: options.stages.length + 1 }, () => new AsyncQueue<Entry[]>(options.queueCapacity))
    this.batcher = new MicroBatcher<Entry>({
      maxBatchSize: options.maxBatchSize,
      maxWaitMs: options.maxWaitMs,
      emit: (batch) => { this.enqueue(batch) }
    })
  }

  get inFlight (): number { return this.pending.size }
  get capacity (): number { return this.options.maxInFlight }
  get stageNames (): string[] { return this.options.stages.map((stage) => stage.name) }
  get error (): GroundstreamError | null { return this.failure }
  get batches (): number { return this.batchesFormed }

  hasCapacity (): boolean { return this.pending.size < this.options.maxInFlight }

  /**
   * Starts `concurrency` workers per stage (one unless the stage says more)
   * and one for the sink. Stages and sink must be initialised by the caller.
   *
   * Workers of one stage share its input and output queues, so a later batch
   * can overtake one still in the stage and be indexed first. That is safe for
   * offsets: posts settle one by one, and the Kafka source commits a
   * partition's offset only along its watermark (src/pipeline/watermark.ts),
   * i.e. up to the longest run of read offsets that are all done.
   */
  start (): void {
    if (this.started) return
    this.started = true
    this.workers = [
      ...this.options.stages.flatMap((stage, index) =>
        Array.from({ length: this.concurrency[index] as number }, () => this.stageWorker(stage, index))),
      this.sinkWorker()
    ]
  }

  /** Calls back once if the pipeline fails (a stage threw, or the sink gave up). */
  onFailure (listener: (error: GroundstreamError) => void): void {
    if (this.failure !== null) listener(this.failure)
    else this.failureListeners.push(listener)
  }

  /** Resolves when a post can be admitted without exceeding maxInFlight (or when the signal aborts). */
  async waitForCapacity (signal?: AbortSignal): Promise<void> {
    while (!this.hasCapacity() && this.failure === null && signal?.aborted !== true) {
      await new Promise<void>((resolve) => {
        const onAbort = (): void => { resolve() }
        signal?.addEventListener('abort', onAbort, { once: true })
        this.capacityWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve() })
      })
    }
  }

  /** Admits a post; the promise settles once it is indexed or dead-lettered. */
  push (work: PostWork): Promise<PostOutcome> {
    if (this.failure !== null) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new GroundstreamError('GS_ERR_SHUTDOWN', 'pipeline is closed to new posts'))
    if (!this.started) this.start()
    return new Promise<PostOutcome>((resolve, reject) => {
      if (this.options.limits !== undefined) limitOnAdmission(work, this.options.limits)
      const entry: Entry = { work, admittedAt: this.now(), resolve, reject }
      this.pending.add(entry)
      this.batcher.add(entry)
    })
  }

  /** Sends a partial batch now instead of waiting for maxWaitMs (end of input). */
  flush (): void { this.batcher.flush() }

  /** Waits until every admitted post is done, up to timeoutMs; true when drained. */
  async drain (timeoutMs: number): Promise<boolean> {
    this.batcher.flush()
    if (this.pending.size === 0) return true
    let timer: NodeJS.Timeout | undefined
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => { this.idleWaiters.push(() => { resolve(true) }) }),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, timeoutMs) })
    ])
    clearTimeout(timer)
    return drained || this.pending.size === 0
  }

  /**
   * Stops the workers. Posts still in flight are rejected with GS_ERR_SHUTDOWN
   * (their offsets are not committed, so they are read again on restart).
   * Idempotent. Does not close stages or the sink: their owner does.
   */
  async close (): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.batcher.flush()
      this.abortController.abort()
      for (const queue of this.queues) queue.close()
    }
    await Promise.allSettled(this.workers)
    this.rejectAll(new GroundstreamError('GS_ERR_SHUTDOWN', 'pipeline closed before the post was indexed'))
  }

  private enqueue (batch: Entry[]): void {
    this.batchesFormed++
    this.events.batchFormed(batch.length)
    const first = this.queues[0] as AsyncQueue<Entry[]>
    first.put(batch).then(
      () => { this.events.queueDepth(this.queueName(0), first.size) },
      (error: unknown) => { this.failBatch(batch, wrapError('GS_ERR_SHUTDOWN', 'batch dropped', error)) }
    )
  }

  private queueName (index: number): string {
    return this.options.stages[index]?.name ?? this.options.sink.name
  }

  private async stageWorker (stage: Stage, index: number): Promise<void> {
    const input = this.queues[index] as AsyncQueue<Entry[]>
    const output = this.queues[index + 1] as AsyncQueue<Entry[]>
    for (;;) {
      const batch = await input.take()
      if (batch === undefined) return
      this.events.queueDepth(this.queueName(index), input.size)
      const live = batch.filter((entry) => this.pending.has(entry))
      if (live.length === 0) continue
      // Each worker times its own batch; overlapping batches of one stage each count their whole stay.
      const started = this.now()
      let results: PostWork[]
      try {
        results = await stage.run(live.map((entry) => entry.work))
        if (results.length !== live.length) {
          throw new GroundstreamError('GS_ERR_INFERENCE', `stage ${stage.name} returned ${results.length} items for ${live.length}`)
        }
      } catch (error) {
        this.fail(wrapError('GS_ERR_INFERENCE', `stage ${stage.name} failed on a batch of ${live.length}`, error))
        return
      }
      const durationMs = this.now() - started
      live.forEach((entry, i) => {
        entry.work = results[i] as PostWork
        entry.work.timings[stage.name] = durationMs
        if (this.options.limits !== undefined) limitAfterStage(entry.work, stage.name, this.options.limits)
      })
      const event: StageBatchEvent = { stage: stage.name, size: live.length, durationMs }
      this.events.batchEnd(event)
      try {
        await output.put(live)
      } catch (error) {
        this.failBatch(live, wrapError('GS_ERR_SHUTDOWN', 'batch dropped', error))
        return
      }
      this.events.queueDepth(this.queueName(index + 1), output.size)
    }
  }

  private async sinkWorker (): Promise<void> {
    const input = this.queues[this.queues.length - 1] as AsyncQueue<Entry[]>
    const sink = this.options.sink
    for (;;) {
      const batch = await input.take()
      if (batch === undefined) return
      this.events.queueDepth(sink.name, input.size)
      const live = batch.filter((entry) => this.pending.has(entry))
      if (live.length === 0) continue
      const started = this.now()
      let outcomes
      try {
        outcomes = await sink.write(live.map((entry) => entry.work), this.abortController.signal)
        if (outcomes.length !== live.length) {
          throw new GroundstreamError('GS_ERR_SINK', `sink ${sink.name} returned ${outcomes.length} outcomes for ${live.length}`)
        }
      } catch (error) {
        if (this.closed) {
          this.failBatch(live, wrapError('GS_ERR_SHUTDOWN', 'sink interrupted by shutdown', error))
          return
        }
        this.fail(wrapError('GS_ERR_SINK', `sink ${sink.name} gave up on a batch of ${live.length}`, error))
        return
      }
      let documents = 0
      const rejected: Array<{ entry: Entry, reason: string, detail: string }> = []
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) documents += outcome.documents
        else rejected.push({ entry: live[i] as Entry, reason: outcome.reason, detail: outcome.detail })
      })
      this.events.sinkEnd({ size: live.length, documents, rejected: rejected.length, durationMs: this.now() - started })
      if (rejected.length > 0) {
        try {
          await this.options.deadLetters.publish(rejected.map(({ entry, reason, detail }) => ({
            reason: 'sink_rejected',
            detail: `${reason}: ${detail}`,
            source: entry.work.source,
            key: entry.work.post.id,
            value: JSON.stringify(entry.work.post),
            postId: entry.work.post.id
          })))
          this.events.deadLettered('sink_rejected', rejected.length)
        } catch (error) {
          this.fail(wrapError('GS_ERR_KAFKA', `could not dead-letter ${rejected.length} rejected posts`, error, true))
          return
        }
      }
      const rejectedSet = new Set(rejected.map((r) => r.entry))
      for (const entry of live) this.finish(entry, rejectedSet.has(entry) ? 'dead_lettered' : 'indexed')
    }
  }

  private finish (entry: Entry, outcome: PostOutcome): void {
    if (!this.pending.delete(entry)) return
    const created = Date.parse(entry.work.post.created_at)
    this.events.postDone({
      outcome,
      pipelineMs: this.now() - entry.admittedAt,
      endToEndMs: Number.isFinite(created) ? this.wallClock() - created : Number.NaN,
      truncated: entry.work.truncated ?? []
    })
    entry.resolve(outcome)
    this.afterRelease()
  }

  private afterRelease (): void {
    if (this.hasCapacity() && this.capacityWaiters.length > 0) {
      for (const waiter of this.capacityWaiters.splice(0)) waiter()
    }
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      for (const waiter of this.idleWaiters.splice(0)) waiter()
    }
  }

  private failBatch (batch: Entry[], error: GroundstreamError): void {
    for (const entry of batch) {
      if (this.pending.delete(entry)) entry.reject(error)
    }
    this.afterRelease()
  }

  private rejectAll (error: GroundstreamError): void {
    this.failBatch([...this.pending], error)
  }

  private fail (error: GroundstreamError): void {
    if (this.failure !== null) return
    this.failure = error
    this.abortController.abort()
    for (const queue of this.queues) queue.close()
    this.rejectAll(error)
    for (const waiter of this.capacityWaiters.splice(0)) waiter()
    for (const listener of this.failureListeners.splice(0)) {
      try {
        listener(error)
      } catch (listenerError) {
        process.emitWarning(`pipeline failure listener threw: ${errorMessage(listenerError)}`)
      }
    }
  }
}
