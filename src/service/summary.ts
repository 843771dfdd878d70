// What a run reports: per-stage and sink timings, dead letters, image
// outcomes, boxed entities and latency percentiles, collected from the
// pipeline's events (each also forwarded to the metrics adapter) and handed
// to the command that prints them.
import type { ImageStatus } from '../contracts/index.js'
import type { JsonlSourceResult } from '../consumers/index.js'
import type { ServiceMetrics } from '../metrics/index.js'
import type { PipelineEvents, Sink } from '../pipeline/index.js'
import type { ResultCacheStats } from '../stages/index.js'

export interface StageSummary {
  batches: number
  posts: number
  totalMs: number
}

export interface RunSummary {
  mode: 'file' | 'kafka'
  sink: 'jsonl' | 'elasticsearch'
  elapsedMs: number
  /** From start to the pipeline accepting posts (models, knowledge sources, image workers, sink). */
  startupMs: number
  /** From the first micro-batch formed to the last post done: the rate the pipeline sustains. */
  processingMs: number
  source?: JsonlSourceResult
  postsDone: number
  documents: number
  deadLetters: Record<string, number>
  batches: number
  stages: Record<string, StageSummary>
  sinkStats: StageSummary
  pipelineLatencyMs: { p50: number, p99: number, max: number }
  /** Image outcomes by status (posts with an image and something to ground). */
  images: Partial<Record<ImageStatus, number>>
  /** Entity documents with a box, and a few of them to show. */
  boxed: { count: number, examples: BoxedExample[] }
  /** Text-model inputs answered from the result cache (hits) or by the models (misses); absent when the stages were given. */
  resultCache?: ResultCacheStats
  output?: string
  deadLetterFile?: string
  index?: string
  exitCode: number
}

export interface BoxedExample {
  postId: string
  text: string
  type: string
  label: string
  box: { x: number, y: number, w: number, h: number }
}

const MAX_BOXED_EXAMPLES = 8

/** Counts boxed entities on their way to the sink (for the summary), then writes. */
export function countingSink (sink: Sink, boxed: RunSummary['boxed']): Sink {
  return {
    name: sink.name,
    init: () => sink.init(),
    close: () => sink.close(),
    async write (items, signal) {
      const outcomes = await sink.write(items, signal)
      items.forEach((work, i) => {
        if (outcomes[i]?.ok !== true) return
        for (const entity of work.entities) {
          if (entity.grounding === null) continue
          boxed.count++
          if (boxed.examples.length < MAX_BOXED_EXAMPLES) {
            boxed.examples.push({ postId: work.post.id, text: entity.candidate.text, type: entity.type, label: entity.grounding.label, box: entity.grounding.box })
          }
        }
      })
      return outcomes
    }
  }
}

function percentile (sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}

const MAX_LATENCY_SAMPLES = 100_000

/** Keeps the numbers the summary prints and forwards every event to the metrics adapter. */
export class SummaryCollector {
  readonly stages: Record<string, StageSummary> = {}
  readonly sink: StageSummary = { batches: 0, posts: 0, totalMs: 0 }
  readonly latencies: number[] = []
  readonly deadLetters: Record<string, number> = {}
  readonly images: Partial<Record<ImageStatus, number>> = {}
  readonly boxed: RunSummary['boxed'] = { count: 0, examples: [] }
  documents = 0
  batches = 0
  postsDone = 0
  /** Reads the text models' result-cache counts (set when the service built its own stages). */
  resultCache: (() => ResultCacheStats) | null = null
  firstBatchAt = Number.NaN
  lastDoneAt = Number.NaN

  events (metrics: ServiceMetrics): PipelineEvents {
    return {
      batchEnd: (event) => {
        metrics.pipeline.batchEnd(event)
        const entry = this.stages[event.stage] ??= { batches: 0, posts: 0, totalMs: 0 }
        entry.batches++
        entry.posts += event.size
        entry.totalMs += event.durationMs
      },
      batchFormed: (size) => {
        if (this.batches === 0) this.firstBatchAt = performance.now()
        this.batches++
        metrics.pipeline.batchFormed(size)
      },
      sinkEnd: (event) => {
        metrics.pipeline.sinkEnd(event)
        this.sink.batches++
        this.sink.posts += event.size
        this.sink.totalMs += event.durationMs
        this.documents += event.documents
      },
      postDone: (event) => {
        metrics.pipeline.postDone(event)
        this.postsDone++
        this.lastDoneAt = performance.now()
        // A bounded sample for the summary's percentiles (the histogram has the full picture).
        if (this.latencies.length < MAX_LATENCY_SAMPLES) {
          this.latencies.push(event.pipelineMs)
        } else {
          const slot = Math.floor(Math.random() * this.postsDone)
          if (slot < MAX_LATENCY_SAMPLES) this.latencies[slot] = event.pipelineMs
        }
      },
      queueDepth: (queue, depth) => { metrics.pipeline.queueDepth(queue, depth) },
      deadLettered: (reason, count) => {
        metrics.pipeline.deadLettered(reason, count)
        this.deadLetters[reason] = (this.deadLetters[reason] ?? 0) + count
      }
    }
  }

  latency (): RunSummary['pipelineLatencyMs'] {
    const sorted = [...this.latencies].sort((a, b) => a - b)
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
  }
}
