// The one Prometheus adapter: pipeline, consumer and sink events in, metrics
// out, on a registry the caller owns (never prom-client's global one), plus a
// small node:http server for /metrics.
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client'
import { wrapError } from '../errors/index.js'
import type { PipelineEvents, PostDoneEvent, SinkBatchEvent, StageBatchEvent } from '../pipeline/index.js'
import type { ConsumerEvents } from '../consumers/index.js'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const END_TO_END_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

export interface ServiceMetrics {
  readonly registry: Registry
  readonly pipeline: PipelineEvents
  readonly consumer: ConsumerEvents
  elasticsearchError (kind: string): void
  sinkRetry (): void
  modelInfo (labels: { stage: string, version: string, provider: string }): void
  /** One post's image handled by the image stage (fetched and analysed, refused, or failed). */
  image (event: { status: string, durationMs: number, regions: number }): void
  /** One text-model call's result-cache lookups (src/stages/result-cache.ts). */
  resultCache (stage: string, counts: { hits: number, misses: number }): void
  /** Stage 2 overruled a name of the user's catalogue: `to` is the type it chose, or `none`. */
  trackedOverride (to: string): void
  /** Read at scrape time. */
  inFlight (read: () => number): void
}

export interface MetricsOptions {
  registry: Registry
  prefix?: string
  /** Process metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean
}

export function createMetrics (options: MetricsOptions): ServiceMetrics {
  const { registry } = options
  const p = options.prefix ?? 'groundstream_'
  const registers = [registry]
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: p })

  const stageDuration = new Histogram({ name: `${p}stage_batch_duration_seconds`, help: 'Wall time of one stage on one micro-batch', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers })
  const stageItems = new Counter({ name: `${p}stage_posts_total`, help: 'Posts processed by each stage', labelNames: ['stage'], registers })
  const sinkDuration = new Histogram({ name: `${p}sink_batch_duration_seconds`, help: 'Wall time of one sink write (bulk request with its retries)', buckets: LATENCY_BUCKETS, registers })
  const endToEnd = new Histogram({ name: `${p}end_to_end_latency_seconds`, help: 'From the post created_at to its documents indexed', buckets: END_TO_END_BUCKETS, registers })
  const pipelineLatency = new Histogram({ name: `${p}pipeline_latency_seconds`, help: 'From admission into the pipeline to indexed', buckets: LATENCY_BUCKETS, registers })
  const batchSize = new Histogram({ name: `${p}batch_size`, help: 'Posts per micro-batch', buckets: BATCH_BUCKETS, registers })
  const queueDepth = new Gauge({ name: `${p}queue_depth`, help: 'Batches waiting in front of each stage or the sink', labelNames: ['queue'], registers })
  const posts = new Counter({ name: `${p}posts_total`, help: 'Posts finished, by outcome', labelNames: ['outcome'], registers })
  const documents = new Counter({ name: `${p}documents_indexed_total`, help: 'Entity documents written', registers })
  const deadLetters = new Counter({ name: `${p}dead_letters_total`, help: 'Records dead-lettered, by reason', labelNames: ['reason'], registers })
  const consumed = new Counter({ name: `${p}consumer_records_total`, help: 'Records read from Kafka', labelNames: ['topic'], registers })
  const lag = new Gauge({ name: `${p}consumer_lag`, help: 'Records behind the partition high watermark at the last fetch', labelNames: ['topic', 'partition'], registers })
  const committed = new Gauge({ name: `${p}committed_offset`, help: 'Last committed offset', labelNames: ['topic', 'partition'], registers })
  const paused = new Gauge({ name: `${p}consumer_paused`, help: '1 while consumption is paused for backpressure', registers })
  const esErrors = new Counter({ name: `${p}elasticsearch_errors_total`, help: 'Failed Elasticsearch requests or items, by kind', labelNames: ['kind'], registers })
  const postCaps = new Counter({ name: `${p}post_caps_total`, help: 'Posts a per-post cap cut something from, by cap (chars, candidates, mentions)', labelNames: ['cap'], registers })
  const sinkRetries = new Counter({ name: `${p}sink_retries_total`, help: 'Sink write retries', registers })
  const models = new Gauge({ name: `${p}model_info`, help: 'Loaded model sessions', labelNames: ['stage', 'version', 'provider'], registers })
  const images = new Counter({ name: `${p}images_total`, help: 'Post images handled by the image stage, by status', labelNames: ['status'], registers })
  const imageDuration = new Histogram({ name: `${p}image_duration_seconds`, help: 'Fetch, decode and analysis of one post image', labelNames: ['status'], buckets: LATENCY_BUCKETS, registers })
  const imageRegions = new Histogram({ name: `${p}image_regions`, help: 'Regions offered to stage 2 per analysed image', buckets: [0, 1, 2, 4, 8, 12, 18, 32], registers })
  const resultCache = new Counter({ name: `${p}text_result_cache_lookups_total`, help: 'Text-model inputs looked up in the result cache, by stage and result (hit: the model did not run)', labelNames: ['stage', 'result'], registers })
  const trackedOverrides = new Counter({ name: `${p}tracked_overrides_total`, help: "Names of the user's catalogue that stage 2 typed otherwise than the entry, by the type chosen (none: not an entity)", labelNames: ['to'], registers })
  let readInFlight: () => number = () => 0
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const inFlightGauge = new Gauge({
    name: `${p}in_flight_posts`,
    help: 'Posts admitted and not yet indexed',
    registers,
    collect () { this.set(readInFlight()) }
  })

  const pipeline: PipelineEvents = {
    batchEnd (event: StageBatchEvent) {
      stageDuration.observe({ stage: event.stage }, event.durationMs / 1000)
      stageItems.inc({ stage: event.stage }, event.size)
    },
    batchFormed (size: number) { batchSize.observe(size) },
    sinkEnd (event: SinkBatchEvent) {
      sinkDuration.observe(event.durationMs / 1000)
      documents.inc(event.documents)
    },
    postDone (event: PostDoneEvent) {
      posts.inc({ outcome: event.outcome })
      pipelineLatency.observe(event.pipelineMs / 1000)
      if (Number.isFinite(event.endToEndMs)) endToEnd.observe(Math.max(0, event.endToEndMs) / 1000)
      for (const cap of event.truncated) postCaps.inc({ cap })
    },
    queueDepth (queue: string, depth: number) { queueDepth.set({ queue }, depth) },
    deadLettered (reason: string, count: number) { deadLetters.inc({ reason }, count) }
  }

  const consumer: ConsumerEvents = {
    consumed (topic, _partition, count) { consumed.inc({ topic }, count) },
    lag (topic, partition, value) { lag.set({ topic, partition: String(partition) }, value) },
    committed (topic, partition, offset) { committed.set({ topic, partition: String(partition) }, Number(offset)) },
    paused (value) { paused.set(value ? 1 : 0) },
    deadLettered (reason, count) { deadLetters.inc({ reason }, count) }
  }

  return Object.freeze({
    registry,
    pipeline,
    consumer,
    elasticsearchError (kind: string) { esErrors.inc({ kind }) },
    sinkRetry () { sinkRetries.inc() },
    modelInfo (labels: { stage: string, version: string, provider: string }) { models.set(labels, 1) },
    image (event: { status: string, durationMs: number, regions: number }) {
      images.inc({ status: event.status })
      imageDuration.observe({ status: event.status }, event.durationMs / 1000)
      if (event.status === 'ok') imageRegions.observe(event.regions)
    },
    resultCache (stage: string, counts: { hits: number, misses: number }) {
      resultCache.inc({ stage, result: 'hit' }, counts.hits)
      resultCache.inc({ stage, result: 'miss' }, counts.misses)
    },
    trackedOverride (to: string) { trackedOverrides.inc({ to }) },
    inFlight (read: () => number) { readInFlight = read }
  })
}

export interface MetricsServer {
  readonly url: string
  close (): Promise<void>
}

/** Serves GET /metrics (and /healthz) from the registry. */
export async function startMetricsServer (options: { registry: Registry, host: string, port: number }): Promise<MetricsServer> {
  const { registry } = options
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method === 'GET' && path === '/metrics') {
      registry.metrics().then((body) => {
        response.writeHead(200, { 'content-type': registry.contentType })
        response.end(body)
      }, (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' })
        response.end(String(error))
      })
      return
    }
    if (request.method === 'GET' && path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.end('ok\n')
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => { reject(wrapError('GS_ERR_CONFIG', `cannot listen on ${options.host}:${options.port}`, error)) })
    server.listen(options.port, options.host, () => { resolve() })
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  let closing: Promise<void> | null = null
  return {
    url: `http://${options.host}:${port}/metrics`,
    close () {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
      return closing
    }
  }
}
