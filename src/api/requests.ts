// What a request may ask for, validated before anything reaches
// Elasticsearch: every parameter has a type, a bound and a default, unknown
// parameters are rejected, and all problems come back in one error.
import { z } from 'zod'
import { ENTITY_TYPES, MENTION_KINDS } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { formatIssues } from '../shared/index.js'
import type { ApiLimits } from './config.js'
import { EXPORT_FORMATS } from './export.js'
import { TextQueryError, parseTextQuery } from './text-query.js'

const MAX_LIST = 20

/** `a,b` and repeated parameters both become a list. */
const list = <T extends z.ZodTypeAny>(item: T) => z.preprocess((value) => {
  if (value === undefined) return undefined
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','))
  const trimmed = parts.map((p) => p.trim()).filter((p) => p.length > 0)
  return trimmed.length === 0 ? undefined : trimmed
}, z.array(item).min(1).max(MAX_LIST).optional())

/** Single-valued parameters must not repeat. */
const single = <T extends z.ZodTypeAny>(inner: T) => z.unknown().refine((value) => !Array.isArray(value), { message: 'give it only once' }).pipe(inner)

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/u

/** A calendar date (UTC midnight), or NaN when it is not one (2026-02-30). */
function parsePlainDate (text: string): Date {
  const match = datePattern.exec(text)
  if (match === null) return new Date(Number.NaN)
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === text ? date : new Date(Number.NaN)
}

/**
 * An ISO timestamp with offset, or a plain date meaning that UTC day: its
 * start where a range starts (`from`, `at`), the start of the next
 * day where a range ends exclusively (`to`), so `to=2026-11-30` covers the day.
 */
const time = (edge: 'start' | 'end') => single(z.union([
  z.string().datetime({ offset: true }).transform((s) => new Date(s)),
  z.string().regex(datePattern, 'an ISO timestamp with offset or a date such as 2026-11-30')
    .transform(parsePlainDate)
    .refine((date) => !Number.isNaN(date.getTime()), 'not a calendar date')
    .transform((date) => edge === 'end' ? new Date(date.getTime() + 86_400_000) : date)
]))
const isoTime = time('start')
const isoTimeEnd = time('end')
const bool = single(z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1'))
const int = (min: number, max: number) => single(z.coerce.number().int().min(min).max(max))
const entityText = (limits: ApiLimits) => single(z.string().trim().min(1).max(limits.maxQueryChars))
/** A post-text query (src/api/text-query.ts), parsed here so a malformed one is a 400 saying why. */
const postText = (limits: ApiLimits) => entityText(limits).transform((value, ctx) => {
  try {
    return parseTextQuery(value)
  } catch (error) {
    if (!(error instanceof TextQueryError)) throw error
    ctx.addIssue({ code: 'custom', message: error.message })
    return z.NEVER
  }
})

const DURATION_UNITS_MS = Object.freeze({ m: 60_000, h: 3_600_000, d: 86_400_000 } as const)
const durationPattern = /^(\d{1,4})([mhd])$/u

export function parseDurationMs (text: string): number {
  const match = durationPattern.exec(text)
  if (match === null) return Number.NaN
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]
}

const duration = single(z.string().regex(durationPattern, 'a duration such as 30m, 6h or 7d').transform(parseDurationMs).refine((ms) => ms > 0, 'must be > 0'))

export const TIMELINE_INTERVALS = Object.freeze(['1m', '5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d', '7d'] as const)
const MENTION_SORTS = Object.freeze(['recent', 'relevance', 'score'] as const)
/** What /trending ranks: entities (entity.normalised), or brands (a brand's own mentions and its products', by lower-cased name). */
export const TRENDING_GROUPS = Object.freeze(['entity', 'brand'] as const)
export type TrendingGroup = typeof TRENDING_GROUPS[number]
/** Trending's default min_count: fewer mentions in the window are noise (every "1 vs 0" would rise). */
export const TRENDING_MIN_COUNT = 3

/**
 * How a brand name is compared, case-insensitively: what the index's
 * `lowercase` normalizer makes of `entity.brand` (`entity.brand.lower`), so the
 * embedded store keys it the same way. Request values come trimmed by `list`.
 */
export function brandKey (name: string): string {
  return name.toLowerCase()
}

function filterShape (limits: ApiLimits) {
  return {
    q: entityText(limits).optional(),
    text: postText(limits).optional(),
    entity: list(z.string().max(limits.maxQueryChars)),
    canonical_id: list(z.string().max(512)),
    brand: list(z.string().max(512)),
    type: list(z.enum(ENTITY_TYPES)),
    mention_kind: list(z.enum(MENTION_KINDS)),
    post_id: list(z.string().max(256)),
    from: isoTime.optional(),
    to: isoTimeEnd.optional(),
    has_box: bool.optional(),
    min_score: single(z.coerce.number().min(0).max(1)).optional()
  }
}

export function requestSchemas (limits: ApiLimits) {
  const filter = filterShape(limits)
  return Object.freeze({
    mentions: z.object({
      ...filter,
      size: int(1, limits.maxPageSize).default(limits.defaultPageSize),
      sort: single(z.enum(MENTION_SORTS)).optional(),
      cursor: single(z.string().max(2048)).optional()
    }).strict(),
    timeline: z.object({
      ...filter,
      interval: single(z.enum([...TIMELINE_INTERVALS, 'auto'])).default('auto')
    }).strict(),
    trending: z.object({
      type: filter.type,
      brand: filter.brand,
      by: single(z.enum(TRENDING_GROUPS)).default('entity'),
      window: duration.default(parseDurationMs('1h')),
      at: isoTime.optional(),
      size: int(1, limits.maxEntities).default(10),
      min_count: int(1, 1_000_000).default(TRENDING_MIN_COUNT)
    }).strict(),
    cooccurring: z.object({
      entity: filter.entity,
      canonical_id: filter.canonical_id,
      brand: filter.brand,
      type: filter.type,
      from: filter.from,
      to: filter.to,
      size: int(1, limits.maxEntities).default(10)
    }).strict().refine((v) => v.entity !== undefined || v.canonical_id !== undefined || v.brand !== undefined, { message: 'entity, canonical_id or brand is required', path: ['entity'] }),
    extent: z.object({}).strict(),
    export: z.object({
      ...filter,
      format: single(z.enum(EXPORT_FORMATS)).default('csv')
    }).strict(),
    posts: z.object({
      ...filter,
      size: int(1, Math.min(limits.maxPageSize, 100)).default(20),
      cursor: single(z.string().max(2048)).optional()
    }).strict()
  })
}

export type RequestSchemas = ReturnType<typeof requestSchemas>
export type MentionsRequest = z.infer<RequestSchemas['mentions']>
export type TimelineRequest = z.infer<RequestSchemas['timeline']>
export type TrendingRequest = z.infer<RequestSchemas['trending']>
export type CooccurringRequest = z.infer<RequestSchemas['cooccurring']>
export type PostsRequest = z.infer<RequestSchemas['posts']>
export type ExportRequest = z.infer<RequestSchemas['export']>
export type FilterRequest = Partial<Pick<MentionsRequest, 'q' | 'text' | 'entity' | 'canonical_id' | 'brand' | 'type' | 'mention_kind' | 'post_id' | 'from' | 'to' | 'has_box' | 'min_score'>>

/** Parses one request's query string; every problem is listed in one GS_ERR_API_INVALID error. */
export function parseRequest<S extends z.ZodTypeAny> (schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query ?? {})
  if (result.success) return result.data as z.infer<S>
  const problems = formatIssues(result.error.issues, { root: '(query)', unknownKeys: (keys) => `unknown parameter(s): ${keys.join(', ')}` })
  throw new GroundstreamError('GS_ERR_API_INVALID', `invalid request: ${problems.join('; ')}`, { details: { problems } })
}

export function invalid (message: string, problems: string[] = [message]): GroundstreamError {
  return new GroundstreamError('GS_ERR_API_INVALID', `invalid request: ${message}`, { details: { problems } })
}
