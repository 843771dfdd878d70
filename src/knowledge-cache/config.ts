// Configuration of the knowledge cache. Validated once at the edge by
// src/config (composed into the app config), then frozen and passed down.
import { z } from 'zod'
import { GroundstreamError } from '../errors/index.js'
import { formatIssues } from '../shared/index.js'

const KNOWLEDGE_SOURCE_NAMES = ['catalogue', 'countries', 'cities', 'wordnet', 'wikipedia'] as const
export type KnowledgeSourceName = typeof KNOWLEDGE_SOURCE_NAMES[number]

const seconds = z.number().int().min(0).max(30 * 24 * 3600)
const millis = (max: number) => z.number().int().min(1).max(max)

export const WikipediaConfigSchema = z.object({
  /** Root of a MediaWiki REST API; summaries are read from `{baseUrl}/page/summary/{title}`. */
  baseUrl: z.string().url().default('https://en.wikipedia.org/api/rest_v1'),
  /** Wikimedia asks every client to identify itself with contact details. */
  userAgent: z.string().min(8).max(512).default('groundstream/0.1 (entity knowledge cache; ops@example.invalid)'),
  /** Per request, including the body. */
  requestTimeoutMs: millis(60_000).default(1_500),
  connectTimeoutMs: millis(60_000).default(1_000),
  /** Sockets kept open to the API host. */
  connections: z.number().int().min(1).max(256).default(8),
  /** Token bucket: sustained requests per second and burst size. */
  rateLimitPerSecond: z.number().positive().max(10_000).default(20),
  rateLimitBurst: z.number().int().min(1).max(10_000).default(20),
  /** Attempts after the first, for 429/5xx/network errors; 0: no retry. */
  retries: z.number().int().min(0).max(10).default(2),
  retryBaseDelayMs: millis(60_000).default(100),
  retryMaxDelayMs: millis(120_000).default(2_000),
  /** Consecutive failures that open the breaker, and how long it stays open. */
  breakerFailureThreshold: z.number().int().min(1).max(1_000).default(5),
  breakerResetMs: millis(3_600_000).default(30_000),
  /** Redirects followed by hand (REST 302s to the canonical title). */
  maxRedirects: z.number().int().min(0).max(10).default(3)
}).strict()

export const KnowledgeConfigSchema = z.object({
  /** Stage on/off: off fills every candidate's knowledge with null. */
  enabled: z.boolean().default(true),
  /**
   * Sources asked in this order; the first with an answer wins. The default is
   * the offline sources only, the same set the knowledge-aware stage 2 is
   * trained with; add `wikipedia` where the API is reachable. WordNet comes
   * before cities so `Obama` is the president, not the town in Japan.
   */
  sources: z.array(z.enum(KNOWLEDGE_SOURCE_NAMES)).max(KNOWLEDGE_SOURCE_NAMES.length)
    .default(['catalogue', 'countries', 'wordnet', 'cities']),
  /** In-process LRU budget in bytes (keys + serialised values). */
  lruMaxBytes: z.number().int().min(1024).max(8 * 1024 ** 3).default(64 * 1024 * 1024),
  /** Entries larger than this are not kept in process (still served). */
  lruMaxEntryBytes: z.number().int().min(64).max(16 * 1024 * 1024).default(16 * 1024),
  ttlSeconds: seconds.default(24 * 3600),
  /** How long "nothing known" is remembered, so misses do not hammer sources. */
  negativeTtlSeconds: seconds.default(3600),
  /** When set, a shared Redis tier sits behind the in-process LRU. */
  redisUrl: z.string().url().optional(),
  redisKeyPrefix: z.string().max(64).default('gs:kc:v1:'),
  /** Redis calls slower than this count as a miss for this lookup. */
  redisTimeoutMs: millis(10_000).default(50),
  /** Budget for one source's answer to one key. */
  sourceTimeoutMs: millis(60_000).default(2_000),
  /** Budget for the whole stage on one batch; unfinished lookups yield null. */
  stageTimeoutMs: millis(120_000).default(3_000),
  /** Distinct keys looked up at once per batch. */
  maxConcurrentLookups: z.number().int().min(1).max(4096).default(64),
  wikipedia: WikipediaConfigSchema.default(WikipediaConfigSchema.parse({})),
  /** JSONL of tracked brands/people: {name, aliases?, handles?, type?, description, id?}; read before the shipped catalogue, so it overrides it. */
  cataloguePath: z.string().optional(),
  /** Use the brand and organisation catalogue that ships in data/catalogue/brands.jsonl (docs/brand-tracking.md). */
  shippedCatalogue: z.boolean().default(true),
  /** Cities below this population are not indexed: small towns named like people or words add noise. */
  citiesMinPopulation: z.number().int().min(0).max(10_000_000).default(15_000),
  /** JSONL of {key or surface, text, canonicalId?, title?, source?} loaded into the cache at init. */
  warmUpPath: z.string().optional(),
  /** Knowledge sub-token budget in the stage-2 prompt (docs/model-contract.md). */
  promptTokenBudget: z.number().int().min(1).max(512).default(48),
  /** tokenizer.json used to count sub-tokens; words are approximated when absent. */
  tokenizerPath: z.string().optional()
}).strict().superRefine((value, ctx) => {
  if (value.wikipedia.retryBaseDelayMs > value.wikipedia.retryMaxDelayMs) {
    ctx.addIssue({ code: 'custom', path: ['wikipedia', 'retryBaseDelayMs'], message: 'must be <= retryMaxDelayMs' })
  }
  if (new Set(value.sources).size !== value.sources.length) {
    ctx.addIssue({ code: 'custom', path: ['sources'], message: 'lists a source twice' })
  }
  if (value.lruMaxEntryBytes > value.lruMaxBytes) {
    ctx.addIssue({ code: 'custom', path: ['lruMaxEntryBytes'], message: 'must be <= lruMaxBytes' })
  }
  if (value.sourceTimeoutMs > value.stageTimeoutMs) {
    ctx.addIssue({ code: 'custom', path: ['sourceTimeoutMs'], message: 'must be <= stageTimeoutMs' })
  }
})

export type KnowledgeConfig = z.infer<typeof KnowledgeConfigSchema>
export type WikipediaConfig = z.infer<typeof WikipediaConfigSchema>

/** Parses and freezes a knowledge config, reporting every problem in one GS_ERR_CONFIG error. */
export function parseKnowledgeConfig (input: unknown): Readonly<KnowledgeConfig> {
  const result = KnowledgeConfigSchema.safeParse(input ?? {})
  if (!result.success) {
    const problems = formatIssues(result.error.issues, { at: ['knowledge'] })
    throw new GroundstreamError('GS_ERR_CONFIG', `invalid knowledge config: ${problems.join('; ')}`, { details: { problems } })
  }
  const config = result.data
  Object.freeze(config.wikipedia)
  Object.freeze(config.sources)
  return Object.freeze(config)
}
