// The service's whole configuration: one schema composed of the sections each
// module owns, parsed once at the edge from an optional JSON file plus GS_*
// environment variables, every problem reported in one error, then frozen and
// passed down. Nothing below src/cli reads process.env.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import { asBoolean, asList, asNumber, asString, configFromEnvTable, isPlainObject, parseStrict, type EnvTable } from './parse.js'

export { asBoolean, asList, asNumber, asString, configFromEnvTable, isPlainObject, parseStrict, type Coerce, type EnvTable } from './parse.js'
import { TextModelsConfigSchema } from '../stages/config.js'
import { KnowledgeConfigSchema } from '../knowledge-cache/index.js'
import { ImagesConfigSchema } from '../images/index.js'

const millis = (max: number) => z.number().int().min(1).max(max)

/**
 * A retry count as every `retries` key reads it: attempts after the first,
 * 0 none; "forever" retries until shutdown and parses to Infinity, which is
 * what `shared/retry` takes for it.
 */
const RetriesSchema = (max: number) => z.union([
  z.number().int().min(0).max(max),
  z.literal('forever').transform(() => Infinity)
])

/** A key that no longer exists, refused with `message` instead of zod's bare "unrecognized key". */
const RemovedKeySchema = (message: string) => z.never({ error: message }).optional()

const KafkaConfigSchema = z.object({
  /** Empty means: no Kafka, read the JSONL file source instead (the embedded default). */
  brokers: z.array(z.string().min(1)).default([]),
  clientId: z.string().min(1).max(128).default('groundstream'),
  groupId: z.string().min(1).max(255).default('groundstream'),
  topic: z.string().min(1).max(249).default('posts'),
  dlqTopic: z.string().min(1).max(249).default('posts.dlq'),
  /** Create the input and dead-letter topics at start when they do not exist. */
  createTopics: z.boolean().default(true),
  topicPartitions: z.number().int().min(1).max(1024).default(4),
  sessionTimeoutMs: millis(600_000).default(30_000),
  heartbeatIntervalMs: millis(60_000).default(3_000),
  rebalanceTimeoutMs: millis(600_000).default(60_000),
  /** Records larger than this (key + value bytes) are dead-lettered unread. */
  maxRecordBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
  maxBytesPerPartition: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Partitions whose batches are handed to the pipeline at once; the micro-batcher groups across them. */
  partitionsConsumedConcurrently: z.number().int().min(1).max(256).default(8),
  /** How long a revoked partition's in-flight posts may finish so their offsets can still be committed. */
  revokeDrainMs: millis(120_000).default(5_000),
  /** Where to start when the group has no committed offset. */
  fromBeginning: z.boolean().default(true),
  /** Least time between two offset commits of one partition while its batch is in flight. */
  commitIntervalMs: millis(60_000).default(1_000),
  /** kafkajs's own retry of broker requests and connections (exponential, capped). */
  clientRetry: z.object({
    retries: z.number().int().min(0).max(100).default(8),
    initialRetryTimeMs: millis(60_000).default(300),
    maxRetryTimeMs: millis(600_000).default(10_000)
  }).strict().prefault({}),
  /** TLS to the brokers; sslCaFile (PEM) replaces the system CAs. */
  ssl: z.boolean().default(false),
  sslCaFile: z.string().min(1).optional(),
  sasl: z.object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string().min(1)
  }).strict().optional()
}).strict()

export const DEFAULT_INDEX = 'groundstream-entities'

/** The one index the processor writes: a concrete, lower-case name. */
const IndexNameSchema = z.string().min(1).max(200).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case index name')

/** What a reader (the API) may name: an index, an alias or a pattern (`groundstream-*`, `a,b`). */
export const IndexPatternSchema = z.string().min(1).max(255).regex(/^[a-z0-9][a-z0-9._*,-]*$/, 'lower-case index name or pattern')

export const ElasticsearchConfigSchema = z.object({
  /** Absent means: no Elasticsearch, write entity documents to the JSONL file sink. */
  url: z.string().url().optional(),
  index: IndexNameSchema.default(DEFAULT_INDEX),
  requestTimeoutMs: millis(600_000).default(30_000),
  /** First retry delay for a failed bulk request; doubles each attempt, with full jitter, up to retryMaxMs. */
  retryInitialMs: millis(60_000).default(200),
  retryMaxMs: millis(600_000).default(10_000),
  /** Retriable failures are retried this many times (0: none), then the sink reports itself down; "forever" (the default) retries until shutdown. */
  retries: RetriesSchema(1_000_000).default(Infinity),
  /** Renamed to `retries`: its 0 meant "forever", and 0 now means "no retry" everywhere. */
  maxRetries: RemovedKeySchema('elasticsearch.maxRetries is gone (its 0 meant "retry until shutdown"): write elasticsearch.retries, "forever" (the default) or a count, where 0 means no retry'),
  refresh: z.enum(['false', 'wait_for', 'true']).default('false'),
  /** Largest bulk request body; Elasticsearch refuses more than http.max_content_length (100 MB by default). */
  maxBulkBytes: z.number().int().min(64 * 1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Base64 `id:key`, sent as `Authorization: ApiKey`. */
  apiKey: z.string().min(1).optional(),
  /** PEM CA for an HTTPS cluster. */
  caFile: z.string().min(1).optional()
}).strict()

const PipelineConfigSchema = z.object({
  /** Largest model batch, across partitions. */
  maxBatchSize: z.number().int().min(1).max(4096).default(32),
  /** A partial batch leaves after this long, so latency stays bounded at low rates. */
  maxWaitMs: z.number().int().min(0).max(60_000).default(50),
  /** Batches waiting between two stages. */
  queueCapacity: z.number().int().min(1).max(1024).default(2),
  /** Posts admitted and not yet indexed; past this the consumer pauses. */
  maxInFlight: z.number().int().min(1).max(1_000_000).default(512),
  /** Characters of a post the models read; mention documents carry this prefix of the text, no more. */
  maxAnalysedChars: z.number().int().min(64).max(20_000).default(4000),
  /** Stage-1 candidates kept per post (highest scores); bounds stage-2 time and memory per post. */
  maxCandidatesPerPost: z.number().int().min(1).max(10_000).default(128),
  /** Entity mentions (documents) kept per post. */
  maxMentionsPerPost: z.number().int().min(1).max(10_000).default(64)
}).strict().superRefine((value, ctx) => {
  if (value.maxInFlight < value.maxBatchSize) {
    ctx.addIssue({ code: 'custom', path: ['maxInFlight'], message: 'must be >= maxBatchSize' })
  }
})

const FilesConfigSchema = z.object({
  /** JSONL source of the embedded default. */
  input: z.string().min(1).default('samples/posts.jsonl'),
  /** JSONL sink of the embedded default. */
  output: z.string().min(1).default('out/entities.jsonl'),
  /** Rejected posts of the embedded default, one JSON line each. */
  deadLetters: z.string().min(1).default('out/dead-letters.jsonl')
}).strict()

const MetricsConfigSchema = z.object({
  /** 0 turns the /metrics endpoint off. */
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  prefix: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('groundstream_')
}).strict()

export const LogConfigSchema = z.object({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
}).strict()

const ShutdownConfigSchema = z.object({
  /** Whole budget for stop → drain → commit → close; past it the process exits anyway. */
  timeoutMs: millis(600_000).default(30_000),
  /** Share of timeoutMs for Kafka partitions to finish their in-flight posts and commit. */
  consumerDrainShare: z.number().min(0).max(1).default(0.4),
  /** Share of timeoutMs for the pipeline to drain after the consumer stopped; the rest is for closing. */
  pipelineDrainShare: z.number().min(0).max(1).default(0.3)
}).strict().superRefine((value, ctx) => {
  if (value.consumerDrainShare + value.pipelineDrainShare >= 1) {
    ctx.addIssue({ code: 'custom', path: ['pipelineDrainShare'], message: 'consumerDrainShare + pipelineDrainShare must be below 1 (the rest is for closing)' })
  }
})

const AppConfigSchema = z.object({
  kafka: KafkaConfigSchema.prefault({}),
  elasticsearch: ElasticsearchConfigSchema.prefault({}),
  pipeline: PipelineConfigSchema.prefault({}),
  files: FilesConfigSchema.prefault({}),
  metrics: MetricsConfigSchema.prefault({}),
  log: LogConfigSchema.prefault({}),
  shutdown: ShutdownConfigSchema.prefault({}),
  textModels: TextModelsConfigSchema.prefault({}),
  knowledge: KnowledgeConfigSchema.prefault({}),
  images: ImagesConfigSchema.prefault({})
}).strict().superRefine((value, ctx) => {
  const kafka = value.kafka
  if (kafka.heartbeatIntervalMs * 3 > kafka.sessionTimeoutMs) {
    ctx.addIssue({ code: 'custom', path: ['kafka', 'heartbeatIntervalMs'], message: 'must be at most a third of sessionTimeoutMs' })
  }
  if (kafka.dlqTopic === kafka.topic) {
    ctx.addIssue({ code: 'custom', path: ['kafka', 'dlqTopic'], message: 'must differ from topic' })
  }
  if (value.elasticsearch.retryInitialMs > value.elasticsearch.retryMaxMs) {
    ctx.addIssue({ code: 'custom', path: ['elasticsearch', 'retryInitialMs'], message: 'must be <= retryMaxMs' })
  }
  if (kafka.clientRetry.initialRetryTimeMs > kafka.clientRetry.maxRetryTimeMs) {
    ctx.addIssue({ code: 'custom', path: ['kafka', 'clientRetry', 'initialRetryTimeMs'], message: 'must be <= maxRetryTimeMs' })
  }
  // A fetch timeout at or past the post's image budget never fires: the budget always cuts first.
  const images = value.images
  if (images.enabled && images.fetch.requestTimeoutMs >= images.perPostBudgetMs) {
    ctx.addIssue({ code: 'custom', path: ['images', 'fetch', 'requestTimeoutMs'], message: `must be below images.perPostBudgetMs (${images.perPostBudgetMs}), or it can never fire` })
  }
  if (images.fetch.connectTimeoutMs > images.fetch.requestTimeoutMs) {
    ctx.addIssue({ code: 'custom', path: ['images', 'fetch', 'connectTimeoutMs'], message: 'must be <= images.fetch.requestTimeoutMs' })
  }
})

export type AppConfig = z.infer<typeof AppConfigSchema>
export type KafkaConfig = z.infer<typeof KafkaConfigSchema>

/** Environment variables the service reads, and where each lands in the config. */
export const ENV_VARS: EnvTable = Object.freeze({
  GS_KAFKA_BROKERS: [['kafka', 'brokers'], asList],
  GS_KAFKA_CLIENT_ID: [['kafka', 'clientId'], asString],
  GS_KAFKA_GROUP_ID: [['kafka', 'groupId'], asString],
  GS_KAFKA_TOPIC: [['kafka', 'topic'], asString],
  GS_KAFKA_DLQ_TOPIC: [['kafka', 'dlqTopic'], asString],
  GS_KAFKA_PARTITIONS: [['kafka', 'topicPartitions'], asNumber],
  GS_KAFKA_SESSION_TIMEOUT_MS: [['kafka', 'sessionTimeoutMs'], asNumber],
  GS_KAFKA_HEARTBEAT_INTERVAL_MS: [['kafka', 'heartbeatIntervalMs'], asNumber],
  GS_KAFKA_MAX_RECORD_BYTES: [['kafka', 'maxRecordBytes'], asNumber],
  GS_KAFKA_SSL: [['kafka', 'ssl'], asBoolean],
  GS_KAFKA_SSL_CA_FILE: [['kafka', 'sslCaFile'], asString],
  GS_KAFKA_SASL_MECHANISM: [['kafka', 'sasl', 'mechanism'], asString],
  GS_KAFKA_SASL_USERNAME: [['kafka', 'sasl', 'username'], asString],
  GS_KAFKA_SASL_PASSWORD: [['kafka', 'sasl', 'password'], asString],
  GS_ELASTICSEARCH_URL: [['elasticsearch', 'url'], asString],
  GS_ELASTICSEARCH_INDEX: [['elasticsearch', 'index'], asString],
  GS_ELASTICSEARCH_RETRY_MAX_MS: [['elasticsearch', 'retryMaxMs'], asNumber],
  GS_ELASTICSEARCH_API_KEY: [['elasticsearch', 'apiKey'], asString],
  GS_ELASTICSEARCH_CA_FILE: [['elasticsearch', 'caFile'], asString],
  GS_BATCH_SIZE: [['pipeline', 'maxBatchSize'], asNumber],
  GS_BATCH_WAIT_MS: [['pipeline', 'maxWaitMs'], asNumber],
  GS_MAX_IN_FLIGHT: [['pipeline', 'maxInFlight'], asNumber],
  GS_MAX_ANALYSED_CHARS: [['pipeline', 'maxAnalysedChars'], asNumber],
  GS_MAX_CANDIDATES_PER_POST: [['pipeline', 'maxCandidatesPerPost'], asNumber],
  GS_MAX_MENTIONS_PER_POST: [['pipeline', 'maxMentionsPerPost'], asNumber],
  GS_ELASTICSEARCH_MAX_BULK_BYTES: [['elasticsearch', 'maxBulkBytes'], asNumber],
  GS_INPUT: [['files', 'input'], asString],
  GS_OUTPUT: [['files', 'output'], asString],
  GS_DEAD_LETTERS: [['files', 'deadLetters'], asString],
  GS_METRICS_PORT: [['metrics', 'port'], asNumber],
  GS_LOG_LEVEL: [['log', 'level'], asString],
  GS_SHUTDOWN_TIMEOUT_MS: [['shutdown', 'timeoutMs'], asNumber],
  GS_MODELS_DIR: [['textModels', 'modelsDir'], asString],
  GS_EXECUTION_PROVIDER: [['textModels', 'executionProvider'], asString],
  GS_TEXT_WORKERS: [['textModels', 'workers'], asNumber],
  GS_TEXT_INTRA_OP_THREADS: [['textModels', 'intraOpThreads'], asNumber],
  GS_LINK_PRIOR: [['textModels', 'linkPrior'], asBoolean],
  GS_KNOWLEDGE_ENABLED: [['knowledge', 'enabled'], asBoolean],
  GS_REDIS_URL: [['knowledge', 'redisUrl'], asString],
  GS_CATALOGUE: [['knowledge', 'cataloguePath'], asString],
  GS_IMAGES_ENABLED: [['images', 'enabled'], asBoolean]
})

/** Later sources win key by key; arrays are replaced, not merged. */
export function mergeConfig (...layers: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const layer of layers) {
    if (!isPlainObject(layer)) continue
    for (const [key, value] of Object.entries(layer)) {
      const existing = out[key]
      out[key] = isPlainObject(value) && isPlainObject(existing) ? mergeConfig(existing, value) : value
    }
  }
  return out
}

function configFromEnv (env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  return configFromEnvTable(ENV_VARS, env)
}

/** Validates a whole config; every problem is listed in one GS_ERR_CONFIG error. */
export function parseConfig (input: unknown): Readonly<AppConfig> {
  return parseStrict(AppConfigSchema, input, 'configuration')
}

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>
  /** JSON config file; GS_CONFIG in env names one too. The file comes first, env vars override it. */
  file?: string
  /** Applied last (command-line flags). */
  overrides?: unknown
  /** Applied first, under the file and env vars (the CLI's paths inside the installation). */
  defaults?: unknown
}

/** The config file's raw settings (`file`, else GS_CONFIG in env; none: empty), not yet validated. */
export function readConfigFile (file: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): Record<string, unknown> {
  const name = file ?? env.GS_CONFIG
  if (name === undefined || name === '') return {}
  let fromFile: unknown
  try {
    fromFile = JSON.parse(readFileSync(name, 'utf8'))
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `cannot read config file ${name}: ${errorMessage(error)}`, { cause: error })
  }
  if (!isPlainObject(fromFile)) throw new GroundstreamError('GS_ERR_CONFIG', `config file ${name} must hold a JSON object`)
  return fromFile
}

export function loadConfig (options: LoadConfigOptions = {}): Readonly<AppConfig> {
  const env = options.env ?? {}
  const fromFile = readConfigFile(options.file, env)
  return parseConfig(mergeConfig(options.defaults, fromFile, configFromEnv(env), options.overrides))
}
