// Starts one service from its parsed config: metrics endpoint, Redis, stages,
// Kafka clients, sink, dead-letter sink and the pipeline, in that order, each
// paired with its close step. `close()` runs those steps in reverse order,
// every step logged and none skipped because an earlier one failed. The one
// factory of the processor: the run modes (run-file.ts, run-kafka.ts) and the
// in-memory processor (in-memory.ts, used by eval) drive the started service,
// each choosing its source; the sinks come from the config or the caller.
import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { AppConfig } from '../config/index.js'
import { connectKafkaClients } from '../consumers/index.js'
import type { ModelVersions } from '../contracts/index.js'
import type { ImageFetcher } from '../images/index.js'
import { createMetrics, startMetricsServer, type MetricsServer, type ServiceMetrics } from '../metrics/index.js'
import { Pipeline, type DeadLetterSink, type Sink, type Stage } from '../pipeline/index.js'
import { ElasticsearchSink, JsonlDeadLetterSink, JsonlSink, KafkaDeadLetterSink } from '../sinks/index.js'
import type { TextModelsInfo } from '../stages/index.js'
import { buildStages } from './build-stages.js'
import { connectKnowledgeRedis, createElasticsearchClient, createKafka } from './clients.js'
import { SummaryCollector, countingSink, type RunSummary } from './summary.js'

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
  /** Replaces the guarded network fetcher of the image stage (eval reads a data set's images from a folder). */
  imageFetcher?: ImageFetcher
}

/** Where the started service's posts come from: Kafka (its clients are connected here), a JSONL file, or a list in memory. */
export type SourceKind = 'kafka' | 'file' | 'memory'

/** Where its documents and dead letters go: the config's Elasticsearch or JSONL files, or sinks the caller supplied. */
export type SinkKind = RunSummary['sink'] | 'supplied'

/** Sinks that replace the config's; the service initialises and closes them. */
export interface SuppliedSinks {
  sink: Sink
  deadLetters: DeadLetterSink
}

/** What startService takes beyond ServiceDeps: the source and sinks, when not the config's. */
export interface ProcessorDeps extends ServiceDeps {
  /** Default: the config's (Kafka when brokers are set, else the JSONL file). */
  source?: SourceKind
  /** Builds the sinks once the models are known (documents carry their versions). Default: the config's. */
  sinks?: (models: ModelVersions) => SuppliedSinks
}

/** The source the config names: Kafka when brokers are set, else the JSONL input file. */
export function configuredSource (config: Readonly<AppConfig>): RunSummary['mode'] {
  return config.kafka.brokers.length > 0 ? 'kafka' : 'file'
}

/** The sink the config names: Elasticsearch when a URL is set, else the JSONL output file. */
export function configuredSink (config: Readonly<AppConfig>): RunSummary['sink'] {
  return config.elasticsearch.url === undefined ? 'jsonl' : 'elasticsearch'
}

export interface StartedService {
  readonly mode: SourceKind
  readonly sinkKind: SinkKind
  readonly logger: Logger
  readonly metrics: ServiceMetrics
  readonly collector: SummaryCollector
  readonly pipeline: Pipeline
  readonly deadLetters: DeadLetterSink
  /** Versions and execution providers of the text models built from the config; null when the stages were given. */
  readonly modelInfo: TextModelsInfo | null
  /** Kafka mode only. */
  readonly kafka: Kafka | null
  readonly metricsServer: MetricsServer | null
  /** Replace a file run's output files once it has succeeded. */
  readonly commits: ReadonlyArray<() => Promise<void>>
  /** From start to the pipeline accepting posts. */
  readonly startupMs: number
  /** Reverse order of startup; idempotent. */
  close (): Promise<void>
}

export async function startService (config: Readonly<AppConfig>, logger: Logger, deps: ProcessorDeps, started = performance.now()): Promise<StartedService> {
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics({ registry, prefix: config.metrics.prefix, processMetrics: deps.registry === undefined })
  const collector = new SummaryCollector()
  const mode: SourceKind = deps.source ?? configuredSource(config)
  const sinkKind: SinkKind = deps.sinks === undefined ? configuredSink(config) : 'supplied'
  const cleanups: Array<{ name: string, run: () => Promise<void> }> = []
  const close = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step.run()
      } catch (error) {
        logger.error({ err: error, step: step.name }, 'shutdown step failed')
      }
    }
  }
  const commits: Array<() => Promise<void>> = []
  try {
    let metricsServer: MetricsServer | null = null
    if (config.metrics.port > 0) {
      const server = await startMetricsServer({ registry, host: config.metrics.host, port: config.metrics.port })
      metricsServer = server
      cleanups.push({ name: 'metrics server', run: () => server.close() })
      logger.info({ url: server.url }, 'metrics endpoint listening')
    }

    let stages: readonly Stage[]
    let models: ModelVersions
    let modelInfo: TextModelsInfo | null = null
    if (deps.stages !== undefined) {
      stages = deps.stages
      models = deps.models ?? { stage1: 'unknown', stage2: 'unknown' }
    } else {
      const redis = await connectKnowledgeRedis(config.knowledge, logger)
      if (redis !== null) cleanups.push({ name: 'redis', run: async () => { redis.disconnect() } })
      const built = await buildStages(config, {
        logger,
        metrics,
        redis,
        ...(deps.imageFetcher === undefined ? {} : { imageFetcher: deps.imageFetcher }),
        onImage: (event) => { collector.images[event.status] = (collector.images[event.status] ?? 0) + 1 }
      })
      cleanups.push({ name: 'stages', run: built.close })
      collector.resultCache = built.resultCache
      stages = built.stages
      models = built.models
      modelInfo = built.modelInfo
    }
    logger.info({ stages: stages.map((stage) => stage.name), models }, 'stages ready')

    let kafka: Kafka | null = null
    let kafkaClients: KafkaClients | null = null
    if (mode === 'kafka') {
      kafka = createKafka(config.kafka, logger)
      const clients = await connectKafkaClients(kafka, config.kafka)
      kafkaClients = clients
      cleanups.push({ name: 'kafka clients', run: async () => { await clients.producer.disconnect(); await clients.admin.disconnect() } })
    }

    const { sink, deadLetters } = deps.sinks === undefined
      ? await configuredSinks(config, { mode, models, metrics, logger, kafkaClients, cleanups, commits, ...(deps.signal === undefined ? {} : { signal: deps.signal }) })
      : await initSupplied(deps.sinks(models))
    const counted = countingSink(sink, collector.boxed)
    cleanups.push({ name: 'sink', run: () => counted.close() })
    cleanups.push({ name: 'dead letters', run: () => deadLetters.close() })

    const pipeline = new Pipeline({
      stages,
      sink: counted,
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
    const startupMs = performance.now() - started
    cleanups.push({ name: 'pipeline', run: () => pipeline.close() })
    return { mode, sinkKind, logger, metrics, collector, pipeline, deadLetters, modelInfo, kafka, metricsServer, commits, startupMs, close }
  } catch (error) {
    await close()
    throw error
  }
}

type KafkaClients = Awaited<ReturnType<typeof connectKafkaClients>>

async function initSupplied (sinks: SuppliedSinks): Promise<SuppliedSinks> {
  await sinks.sink.init()
  return sinks
}

interface SinkContext {
  mode: SourceKind
  models: ModelVersions
  metrics: ServiceMetrics
  logger: Logger
  kafkaClients: KafkaClients | null
  cleanups: Array<{ name: string, run: () => Promise<void> }>
  commits: Array<() => Promise<void>>
  signal?: AbortSignal
}

/**
 * The sinks the config names: Elasticsearch (when a URL is set) or the JSONL
 * output file, and the Kafka dead-letter topic (with brokers) or the JSONL
 * dead-letter file. A Kafka run is long-lived and restarts: its files append;
 * any other run replaces them on success. Both initialised.
 */
async function configuredSinks (config: Readonly<AppConfig>, context: SinkContext): Promise<SuppliedSinks> {
  const { mode, models, commits } = context
  const fileMode = mode === 'kafka' ? 'append' : 'replace'
  let sink: Sink
  if (configuredSink(config) === 'elasticsearch') {
    sink = await elasticsearchSink(config, context)
  } else {
    const jsonl = new JsonlSink({ path: config.files.output, models, mode: fileMode })
    await jsonl.init()
    commits.push(() => jsonl.commit())
    sink = jsonl
  }
  if (context.kafkaClients !== null) {
    return { sink, deadLetters: new KafkaDeadLetterSink({ producer: context.kafkaClients.producer, topic: config.kafka.dlqTopic }) }
  }
  const letters = new JsonlDeadLetterSink(config.files.deadLetters, fileMode)
  try {
    await letters.init()
  } catch (error) {
    // The output's temporary file goes too: its owner's cleanup is not registered yet.
    await sink.close()
    throw error
  }
  commits.push(() => letters.commit())
  return { sink, deadLetters: letters }
}

/** The Elasticsearch sink with its client (closed with the service); its index is checked before the first write. */
async function elasticsearchSink (config: Readonly<AppConfig>, context: SinkContext): Promise<Sink> {
  const { metrics, logger } = context
  const client = createElasticsearchClient({
    url: config.elasticsearch.url as string,
    apiKey: config.elasticsearch.apiKey,
    caFile: config.elasticsearch.caFile,
    requestTimeoutMs: config.elasticsearch.requestTimeoutMs
  })
  context.cleanups.push({ name: 'elasticsearch client', run: () => client.close() })
  const esSink = new ElasticsearchSink({
    client,
    index: config.elasticsearch.index,
    models: context.models,
    retryInitialMs: config.elasticsearch.retryInitialMs,
    retryMaxMs: config.elasticsearch.retryMaxMs,
    maxRetries: config.elasticsearch.retries,
    refresh: config.elasticsearch.refresh,
    maxBulkBytes: config.elasticsearch.maxBulkBytes,
    onError: (kind) => { metrics.elasticsearchError(kind) },
    onRetry: ({ attempt, delayMs, error }) => {
      metrics.sinkRetry()
      logger.warn({ attempt, delayMs, err: error }, 'elasticsearch write failed; retrying')
    }
  })
  const initAbort = new AbortController()
  context.signal?.addEventListener('abort', () => { initAbort.abort() }, { once: true })
  await esSink.init(initAbort.signal)
  return esSink
}
