// Starts one service from its parsed config: metrics endpoint, Redis, stages,
// Kafka clients, sink, dead-letter sink and the pipeline, in that order, each
// paired with its close step. `close()` runs those steps in reverse order,
// every step logged and none skipped because an earlier one failed. The two
// run modes (run-file.ts, run-kafka.ts) drive the started service.
import type { Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import type { AppConfig } from '../config/index.js'
import { connectKafkaClients } from '../consumers/index.js'
import type { ModelVersions } from '../contracts/index.js'
import { createMetrics, startMetricsServer, type MetricsServer, type ServiceMetrics } from '../metrics/index.js'
import { Pipeline, type DeadLetterSink, type Sink, type Stage } from '../pipeline/index.js'
import { ElasticsearchSink, JsonlDeadLetterSink, JsonlSink, KafkaDeadLetterSink } from '../sinks/index.js'
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
}

export interface StartedService {
  readonly mode: RunSummary['mode']
  readonly sinkKind: RunSummary['sink']
  readonly logger: Logger
  readonly metrics: ServiceMetrics
  readonly collector: SummaryCollector
  readonly pipeline: Pipeline
  readonly deadLetters: DeadLetterSink
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

export async function startService (config: Readonly<AppConfig>, logger: Logger, deps: ServiceDeps, started = performance.now()): Promise<StartedService> {
  const registry = deps.registry ?? new Registry()
  const metrics = createMetrics({ registry, prefix: config.metrics.prefix, processMetrics: deps.registry === undefined })
  const collector = new SummaryCollector()
  const mode: RunSummary['mode'] = config.kafka.brokers.length > 0 ? 'kafka' : 'file'
  const sinkKind: RunSummary['sink'] = config.elasticsearch.url === undefined ? 'jsonl' : 'elasticsearch'
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
        onImage: (event) => { collector.images[event.status] = (collector.images[event.status] ?? 0) + 1 }
      })
      cleanups.push({ name: 'stages', run: built.close })
      collector.resultCache = built.resultCache
      stages = built.stages
      models = built.models
    }
    logger.info({ stages: stages.map((stage) => stage.name), models }, 'stages ready')

    let kafka: Kafka | null = null
    let kafkaClients: Awaited<ReturnType<typeof connectKafkaClients>> | null = null
    if (mode === 'kafka') {
      kafka = createKafka(config.kafka, logger)
      const clients = await connectKafkaClients(kafka, config.kafka)
      kafkaClients = clients
      cleanups.push({ name: 'kafka clients', run: async () => { await clients.producer.disconnect(); await clients.admin.disconnect() } })
    }

    let sink: Sink
    if (sinkKind === 'elasticsearch') {
      const client = createElasticsearchClient({
        url: config.elasticsearch.url as string,
        apiKey: config.elasticsearch.apiKey,
        caFile: config.elasticsearch.caFile,
        requestTimeoutMs: config.elasticsearch.requestTimeoutMs
      })
      cleanups.push({ name: 'elasticsearch client', run: () => client.close() })
      const esSink = new ElasticsearchSink({
        client,
        index: config.elasticsearch.index,
        models,
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
    const counted = countingSink(sink, collector.boxed)
    cleanups.push({ name: 'sink', run: () => counted.close() })

    let deadLetters: DeadLetterSink
    if (kafkaClients !== null) {
      deadLetters = new KafkaDeadLetterSink({ producer: kafkaClients.producer, topic: config.kafka.dlqTopic })
    } else {
      const jsonl = new JsonlDeadLetterSink(config.files.deadLetters, mode === 'file' ? 'replace' : 'append')
      commits.push(() => jsonl.commit())
      deadLetters = jsonl
    }
    const letters = deadLetters
    cleanups.push({ name: 'dead letters', run: () => letters.close() })

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
    return { mode, sinkKind, logger, metrics, collector, pipeline, deadLetters, kafka, metricsServer, commits, startupMs, close }
  } catch (error) {
    await close()
    throw error
  }
}
