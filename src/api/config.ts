// Configuration of the search API and viewer (`groundstream serve`): one
// strict schema with every default and every limit that keeps one request
// from hurting the cluster, parsed once from the environment and flags. The
// settings it shares with the processor (Elasticsearch connection, log level)
// are the processor's schema pieces and environment entries (src/config), so
// one variable means one thing; the two differences are deliberate: serve
// defaults to a local cluster, and it may read an alias or index pattern.
import { z } from 'zod'
import {
  DEFAULT_INDEX, ENV_VARS, ElasticsearchConfigSchema, IndexPatternSchema, LogConfigSchema,
  asNumber, configFromEnvTable, parseStrict, type EnvTable
} from '../config/index.js'

/** Where serve looks for Elasticsearch when GS_ELASTICSEARCH_URL is not set. */
const DEFAULT_API_ELASTICSEARCH_URL = 'http://127.0.0.1:9200'

const ApiLimitsSchema = z.object({
  /** Largest page of mentions or posts. */
  maxPageSize: z.number().int().min(1).max(1000).default(100),
  defaultPageSize: z.number().int().min(1).max(1000).default(20),
  /** Longest time range a timeline, trending or co-occurrence query may cover. */
  maxRangeDays: z.number().int().min(1).max(3650).default(90),
  /** Most buckets a timeline may return. */
  maxBuckets: z.number().int().min(10).max(10_000).default(1000),
  /** Most entities a trending or co-occurrence answer may list. */
  maxEntities: z.number().int().min(1).max(500).default(50),
  /** Posts of an entity looked at for co-occurrence (most recent first). */
  maxCooccurrencePosts: z.number().int().min(10).max(10_000).default(1000),
  /** Longest free-text query, in characters. */
  maxQueryChars: z.number().int().min(1).max(4096).default(256),
  /** Whole-request budget: Elasticsearch's own timeout is set a little under it. */
  requestTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
  /** Elasticsearch searches in flight at once; past it requests get 503 at once. */
  maxConcurrentSearches: z.number().int().min(1).max(1024).default(16),
  /** Exports (GET /api/v1/export) streaming at once; past it requests get 429 at once. */
  maxConcurrentExports: z.number().int().min(1).max(64).default(2),
  /** Hits counted exactly before the total becomes a lower bound. */
  trackTotalHitsUpTo: z.number().int().min(0).max(1_000_000).default(10_000)
}).strict().superRefine((value, ctx) => {
  if (value.defaultPageSize > value.maxPageSize) {
    ctx.addIssue({ code: 'custom', path: ['defaultPageSize'], message: 'must be <= maxPageSize' })
  }
})

const ApiConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  elasticsearch: z.object({
    url: ElasticsearchConfigSchema.shape.url.unwrap().default(DEFAULT_API_ELASTICSEARCH_URL),
    index: IndexPatternSchema.default(DEFAULT_INDEX),
    apiKey: ElasticsearchConfigSchema.shape.apiKey,
    caFile: ElasticsearchConfigSchema.shape.caFile
  }).strict().prefault({}),
  limits: ApiLimitsSchema.prefault({}),
  /** Directory of the viewer page (index.html, app.js, style.css). */
  staticDir: z.string().min(1).default('public'),
  /** Local image files served under /media/ (demos, tests); off when absent. */
  mediaDir: z.string().min(1).optional(),
  log: LogConfigSchema.prefault({}),
  /** Prefix of the API's metric names (requests, durations, Elasticsearch errors, process metrics). */
  metrics: z.object({
    prefix: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('groundstream_api_')
  }).strict().prefault({})
}).strict()

export type ApiConfig = z.infer<typeof ApiConfigSchema>
export type ApiConfigInput = z.input<typeof ApiConfigSchema>
export type ApiLimits = z.infer<typeof ApiLimitsSchema>


/** Variables serve shares with the processor: read by the processor's entries, so by the same rules. */
const SHARED_ENV_VARS = ['GS_ELASTICSEARCH_URL', 'GS_ELASTICSEARCH_INDEX', 'GS_ELASTICSEARCH_API_KEY', 'GS_ELASTICSEARCH_CA_FILE', 'GS_LOG_LEVEL'] as const

/** Environment variables `serve` reads, and where each lands. */
export const API_ENV_VARS: EnvTable = Object.freeze({
  GS_API_HOST: [['host'], String],
  GS_API_PORT: [['port'], asNumber],
  GS_API_STATIC_DIR: [['staticDir'], String],
  GS_API_MEDIA_DIR: [['mediaDir'], String],
  GS_API_MAX_PAGE_SIZE: [['limits', 'maxPageSize'], asNumber],
  GS_API_REQUEST_TIMEOUT_MS: [['limits', 'requestTimeoutMs'], asNumber],
  GS_API_MAX_CONCURRENT_SEARCHES: [['limits', 'maxConcurrentSearches'], asNumber],
  GS_API_MAX_CONCURRENT_EXPORTS: [['limits', 'maxConcurrentExports'], asNumber],
  ...Object.fromEntries(SHARED_ENV_VARS.map((name) => [name, ENV_VARS[name] as EnvTable[string]]))
})

export function apiConfigFromEnv (env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  return configFromEnvTable(API_ENV_VARS, env)
}

/** Validates the whole API config; every problem is listed in one GS_ERR_CONFIG error. */
export function parseApiConfig (input: unknown): Readonly<ApiConfig> {
  return parseStrict(ApiConfigSchema, input, 'API configuration')
}
