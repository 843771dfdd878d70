// The Elasticsearch backend of the API (the embedded store is embedded.ts;
// both answer backend.ts's SearchBackend): every query the API runs, built from
// validated requests only (term/terms/range/bool/match, date_histogram,
// terms, filter, cardinality, collapse: all in core Elasticsearch, no
// scripts). Each search carries Elasticsearch's own timeout, a client-side
// deadline, and a slot from a bounded pool, so a burst of requests queues
// nothing on the cluster.
import { errors, type Client } from '@elastic/elasticsearch'
import { BulkheadRejectedError, bulkhead, type BulkheadPolicy } from 'cockatiel'
import { entityIndexKey, type EntityDocument, type EntityType } from '../contracts/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import type { ApiLimits } from './config.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { textQueryToElasticsearch } from './text-query.js'
import {
  brandKey,
  invalid,
  type CooccurringRequest,
  type FilterRequest,
  type MentionsRequest,
  type PostsRequest,
  type TimelineRequest,
  type TrendingGroup,
  type TrendingRequest
} from './requests.js'

import { rankTrending, resolveInterval, resolveRange, trendingWindows } from './query-rules.js'
import type { CooccurringAnswer, EntitySummary, ExtentAnswer, MentionsAnswer, PostView, PostsAnswer, ReadyState, SearchBackend, TimelineAnswer, TrendingAnswer } from './backend.js'
import { groupByPost } from './backend.js'

type Query = Record<string, unknown>

export interface SearchOptions {
  client: Client
  index: string
  limits: ApiLimits
  now?: () => Date
  /** Called once per failed Elasticsearch request, with a short kind. */
  onError?: (kind: string) => void
}

/** Maps an Elasticsearch client error onto the API's error codes. */
function classifySearchError (error: unknown): { kind: string, error: GroundstreamError } {
  if (error instanceof GroundstreamError) return { kind: error.code, error }
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0
    if (status === 400) {
      // The cluster's reason names its internals (exception types, field names): kept in the cause for logs, not in the answer.
      return { kind: 'http_400', error: new GroundstreamError('GS_ERR_API_INVALID', 'the search could not be run with these parameters', { cause: error, details: { problems: ['the search could not be run with these parameters'] } }) }
    }
    if (status === 429) {
      return { kind: 'http_429', error: new GroundstreamError('GS_ERR_OVERLOADED', 'Elasticsearch is busy (429); try again shortly', { cause: error, retriable: true }) }
    }
    return { kind: `http_${status}`, error: new GroundstreamError('GS_ERR_SEARCH', `Elasticsearch answered ${status}`, { cause: error, retriable: status >= 500 }) }
  }
  if (error instanceof errors.TimeoutError || (error instanceof Error && error.name === 'AbortError')) {
    return { kind: 'timeout', error: new GroundstreamError('GS_ERR_TIMEOUT', 'the search took longer than the request budget', { cause: error, retriable: true }) }
  }
  if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
    return { kind: 'connection', error: new GroundstreamError('GS_ERR_SEARCH', 'cannot reach Elasticsearch', { cause: error, retriable: true }) }
  }
  return { kind: 'other', error: new GroundstreamError('GS_ERR_SEARCH', `search failed: ${errorMessage(error)}`, { cause: error }) }
}

const SORTS = Object.freeze({
  recent: [{ 'post.created_at': 'desc' }, { id: 'asc' }],
  relevance: [{ _score: 'desc' }, { 'post.created_at': 'desc' }, { id: 'asc' }],
  score: [{ 'entity.score': 'desc' }, { 'post.created_at': 'desc' }, { id: 'asc' }]
} as const)

type SortName = keyof typeof SORTS

/** Posts counted by Elasticsearch's cardinality aggregation up to which the count is exact in practice. */
const POSTS_PRECISION = 40_000

/** The lower-cased brand (the template's `lowercase` normalizer): what `brand=` matches and `by=brand` groups by. */
const BRAND_KEY_FIELD = 'entity.brand.lower'

/** The field each trending group is keyed by. */
const GROUP_FIELDS: Readonly<Record<TrendingGroup, string>> = Object.freeze({ entity: 'entity.normalised', brand: BRAND_KEY_FIELD })

/** The bool filter shared by every endpoint. */
function buildFilter (request: FilterRequest): Query {
  const filter: Query[] = []
  const must: Query[] = []
  const mustNot: Query[] = []
  if (request.q !== undefined) {
    must.push({
      bool: {
        should: [
          { match: { 'entity.text': { query: request.q, operator: 'and', boost: 2 } } },
          { match: { 'entity.canonical_title': { query: request.q, operator: 'and' } } }
        ],
        minimum_should_match: 1
      }
    })
  }
  if (request.text !== undefined) must.push(textQueryToElasticsearch(request.text, 'post.text'))
  if (request.entity !== undefined) filter.push({ terms: { 'entity.normalised': request.entity.map(entityIndexKey) } })
  if (request.canonical_id !== undefined) filter.push({ terms: { 'entity.canonical_id': request.canonical_id } })
  if (request.brand !== undefined) filter.push({ terms: { [BRAND_KEY_FIELD]: request.brand.map(brandKey) } })
  if (request.type !== undefined) filter.push({ terms: { 'entity.type': request.type } })
  if (request.mention_kind !== undefined) filter.push({ terms: { 'entity.mention_kind': request.mention_kind } })
  if (request.post_id !== undefined) filter.push({ terms: { post_id: request.post_id } })
  if (request.from !== undefined && request.to !== undefined && request.from.getTime() >= request.to.getTime()) {
    throw invalid('from must be before to')
  }
  if (request.from !== undefined || request.to !== undefined) {
    filter.push({ range: { 'post.created_at': { ...(request.from === undefined ? {} : { gte: request.from.toISOString() }), ...(request.to === undefined ? {} : { lt: request.to.toISOString() }) } } })
  }
  if (request.has_box === true) filter.push({ exists: { field: 'box.x' } })
  if (request.has_box === false) mustNot.push({ exists: { field: 'box.x' } })
  if (request.min_score !== undefined) filter.push({ range: { 'entity.score': { gte: request.min_score } } })
  return { bool: { filter, must, must_not: mustNot } }
}

interface TermsBucket { key: string | number, doc_count: number, [sub: string]: unknown }

function firstKey (agg: unknown): string | null {
  const buckets = (agg as { buckets?: TermsBucket[] } | undefined)?.buckets
  const key = buckets?.[0]?.key
  return key === undefined ? null : String(key)
}

const SUMMARY_AGGS = Object.freeze({
  type: { terms: { field: 'entity.type', size: 1 } },
  canonical: { terms: { field: 'entity.canonical_id', size: 1 } },
  title: { terms: { field: 'entity.canonical_title.keyword', size: 1 } },
  text: { terms: { field: 'entity.text.keyword', size: 1 } },
  brand: { terms: { field: 'entity.brand', size: 1 } }
})

function summary (bucket: TermsBucket): EntitySummary {
  return {
    entity: String(bucket.key),
    text: firstKey(bucket.text),
    type: firstKey(bucket.type) as EntityType | null,
    canonical_id: firstKey(bucket.canonical),
    canonical_title: firstKey(bucket.title),
    brand: firstKey(bucket.brand)
  }
}

export class EntitySearch implements SearchBackend {
  readonly kind = 'elasticsearch' as const
  private readonly options: SearchOptions
  private readonly limits: ApiLimits
  /** Searches in flight at once; past it a request is refused at once (no queue), so a slow cluster cannot pile requests up. */
  private readonly searches: BulkheadPolicy

  constructor (options: SearchOptions) {
    this.options = options
    this.limits = options.limits
    this.searches = bulkhead(this.limits.maxConcurrentSearches, 0)
  }

  private now (): Date {
    return this.options.now?.() ?? new Date()
  }

  /** One bounded, time-limited search. */
  private async search (body: Query, signal?: AbortSignal): Promise<Record<string, unknown>> {
    try {
      return await this.searches.execute(async () => await this.searchNow(body, signal))
    } catch (error) {
      if (!(error instanceof BulkheadRejectedError)) throw error
      this.options.onError?.('overloaded')
      throw new GroundstreamError('GS_ERR_OVERLOADED', `too many searches in flight (${this.limits.maxConcurrentSearches}); try again shortly`, { retriable: true })
    }
  }

  private async searchNow (body: Query, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const budget = this.limits.requestTimeoutMs
    try {
      const response = await this.options.client.search({
        index: this.options.index,
        ignore_unavailable: true,
        allow_no_indices: true,
        timeout: `${Math.max(50, Math.floor(budget * 0.8))}ms`,
        ...body
      }, { requestTimeout: budget, maxRetries: 0, ...(signal === undefined ? {} : { signal }) })
      return response as unknown as Record<string, unknown>
    } catch (error) {
      const classified = classifySearchError(error)
      this.options.onError?.(classified.kind)
      throw classified.error
    }
  }

  /**
   * Readiness: an empty search on the index answers. It needs only the read
   * privilege the API key has anyway (cluster health would need monitor).
   * The index may not exist yet (nothing indexed): ready, with index false.
   */
  async ready (signal?: AbortSignal): Promise<ReadyState> {
    try {
      const response = await this.options.client.search({
        index: this.options.index,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: 0,
        track_total_hits: false,
        timeout: '2s'
      }, { requestTimeout: 3000, maxRetries: 0, ...(signal === undefined ? {} : { signal }) })
      return { ok: true, elasticsearch: true, index: response._shards.total > 0 }
    } catch (error) {
      this.options.onError?.(classifySearchError(error).kind)
      return { ok: false, elasticsearch: false, index: false }
    }
  }

  async extent (signal?: AbortSignal): Promise<ExtentAnswer> {
    const response = await this.search({
      size: 0,
      track_total_hits: true,
      aggs: { first: { min: { field: 'post.created_at' } }, last: { max: { field: 'post.created_at' } } }
    }, signal)
    const aggs = response.aggregations as { first: { value: number | null }, last: { value: number | null } } | undefined
    const iso = (value: number | null | undefined): string | null => (typeof value === 'number' ? new Date(value).toISOString() : null)
    return {
      now: this.now().toISOString(),
      documents: (response.hits as { total?: { value: number } }).total?.value ?? 0,
      first: iso(aggs?.first.value),
      last: iso(aggs?.last.value)
    }
  }

  async close (): Promise<void> {}

  async mentions (request: MentionsRequest, signal?: AbortSignal): Promise<MentionsAnswer> {
    const sortName: SortName = request.sort ?? (request.q === undefined ? 'recent' : 'relevance')
    const body: Query = {
      query: buildFilter(request),
      sort: SORTS[sortName],
      // One more than the page: whether another page follows, so `next` is null on the last one.
      size: request.size + 1,
      track_total_hits: this.limits.trackTotalHitsUpTo
    }
    if (request.cursor !== undefined) body.search_after = decodeCursor(request.cursor, sortName)
    const response = await this.search(body, signal)
    const hits = (response.hits as { total?: { value: number, relation: 'eq' | 'gte' }, hits: Array<{ _source: EntityDocument, _score?: number | null, sort?: unknown[] }> })
    const page = hits.hits.slice(0, request.size)
    const mentions = page.map((hit) => ({ ...hit._source, _score: hit._score ?? null }))
    const last = page[page.length - 1]
    return {
      total: hits.total ?? { value: mentions.length, relation: 'eq' },
      mentions,
      next: hits.hits.length > request.size && last?.sort !== undefined ? encodeCursor(sortName, last.sort) : null,
      timed_out: response.timed_out === true
    }
  }

  private range (from: Date | undefined, to: Date | undefined, defaultDays: number): { from: Date, to: Date } {
    return resolveRange(this.limits, this.now(), from, to, defaultDays)
  }

  async timeline (request: TimelineRequest, signal?: AbortSignal): Promise<TimelineAnswer> {
    const { from, to } = this.range(request.from, request.to, 7)
    const interval = resolveInterval(this.limits, request.interval, from, to)
    const response = await this.search({
      query: buildFilter({ ...request, from, to }),
      size: 0,
      track_total_hits: true,
      aggs: {
        timeline: {
          date_histogram: {
            field: 'post.created_at',
            fixed_interval: interval,
            min_doc_count: 0,
            // The query's range already bounds the data; extended_bounds adds the empty ends.
            extended_bounds: { min: from.getTime(), max: to.getTime() - 1 }
          }
        }
      }
    }, signal)
    const aggregations = response.aggregations as { timeline: { buckets: Array<{ key: number, doc_count: number }> } }
    return {
      interval,
      from: from.toISOString(),
      to: to.toISOString(),
      total: (response.hits as { total: { value: number } }).total.value,
      buckets: aggregations.timeline.buckets.map((b) => ({ time: new Date(b.key).toISOString(), count: b.doc_count })),
      timed_out: response.timed_out === true
    }
  }

  async trending (request: TrendingRequest, signal?: AbortSignal): Promise<TrendingAnswer> {
    const { at, currentFrom, previousFrom, candidates } = trendingWindows(this.limits, this.now(), request)
    const response = await this.search({
      query: buildFilter({ type: request.type, brand: request.brand, from: previousFrom, to: at }),
      size: 0,
      aggs: {
        entities: {
          // Mentions without the group's field (no brand) fall in no bucket.
          terms: { field: GROUP_FIELDS[request.by], size: candidates, shard_size: candidates * 2, order: [{ current: 'desc' }, { _key: 'asc' }] },
          aggs: {
            current: { filter: { range: { 'post.created_at': { gte: currentFrom.toISOString(), lt: at.toISOString() } } } },
            ...SUMMARY_AGGS
          }
        }
      }
    }, signal)
    const buckets = (response.aggregations as { entities: { buckets: Array<TermsBucket & { current: { doc_count: number } }> } }).entities.buckets
    const entities = rankTrending(buckets.map((bucket) => ({ ...summary(bucket), current: bucket.current.doc_count, total: bucket.doc_count })), request)
    return {
      window: { from: currentFrom.toISOString(), to: at.toISOString() },
      previous: { from: previousFrom.toISOString(), to: currentFrom.toISOString() },
      entities,
      timed_out: response.timed_out === true
    }
  }

  async cooccurring (request: CooccurringRequest, signal?: AbortSignal): Promise<CooccurringAnswer> {
    const { from, to } = this.range(request.from, request.to, 30)
    const subject = buildFilter({ entity: request.entity, canonical_id: request.canonical_id, brand: request.brand, from, to })
    const first = await this.search({
      query: subject,
      size: 0,
      aggs: {
        posts: {
          terms: { field: 'post_id', size: this.limits.maxCooccurrencePosts, order: { latest: 'desc' } },
          aggs: { latest: { max: { field: 'post.created_at' } } }
        }
      }
    }, signal)
    const postIds = (first.aggregations as { posts: { buckets: TermsBucket[] } }).posts.buckets.map((b) => String(b.key))
    if (postIds.length === 0) return { posts_considered: 0, entities: [], timed_out: first.timed_out === true }
    const others = buildFilter({ post_id: postIds, type: request.type })
    const bool = others.bool as { must_not: Query[] }
    if (request.entity !== undefined) bool.must_not.push({ terms: { 'entity.normalised': request.entity.map(entityIndexKey) } })
    if (request.canonical_id !== undefined) bool.must_not.push({ terms: { 'entity.canonical_id': request.canonical_id } })
    if (request.brand !== undefined) bool.must_not.push({ terms: { [BRAND_KEY_FIELD]: request.brand.map(brandKey) } })
    const second = await this.search({
      query: others,
      size: 0,
      aggs: {
        entities: {
          terms: { field: 'entity.normalised', size: request.size, order: { posts: 'desc' } },
          aggs: { posts: { cardinality: { field: 'post_id' } }, ...SUMMARY_AGGS }
        }
      }
    }, signal)
    const buckets = (second.aggregations as { entities: { buckets: Array<TermsBucket & { posts: { value: number } }> } }).entities.buckets
    return {
      posts_considered: postIds.length,
      entities: buckets.map((bucket) => ({ ...summary(bucket), posts: bucket.posts.value, mentions: bucket.doc_count })),
      timed_out: first.timed_out === true || second.timed_out === true
    }
  }

  /** Recent posts that have a matching mention, each with all its mentions (the viewer's live list), paged by cursor. */
  async recentPosts (request: PostsRequest, signal?: AbortSignal): Promise<PostsAnswer> {
    const filter = buildFilter(request)
    // Collapse allows search_after only when sorting by the collapse field alone, so the
    // cursor's [created_at, post_id] continues as a keyset filter, after the aggregations
    // (post_filter), which count every matching post.
    const after: Query = {}
    if (request.cursor !== undefined) {
      const [millis, postId] = decodeCursor(request.cursor, 'posts')
      after.post_filter = {
        bool: {
          should: [
            { range: { 'post.created_at': { lt: millis, format: 'epoch_millis' } } },
            { bool: { filter: [{ range: { 'post.created_at': { gte: millis, lte: millis, format: 'epoch_millis' } } }, { range: { post_id: { gt: postId } } }] } }
          ],
          minimum_should_match: 1
        }
      }
    }
    const first = await this.search({
      query: filter,
      ...after,
      collapse: { field: 'post_id' },
      sort: [{ 'post.created_at': 'desc' }, { post_id: 'asc' }],
      _source: ['post_id'],
      size: request.size + 1,
      track_total_hits: false,
      aggs: { posts: { cardinality: { field: 'post_id', precision_threshold: POSTS_PRECISION } } }
    }, signal)
    const found = (first.hits as { hits: Array<{ _source: { post_id: string }, sort?: unknown[] }> }).hits
    const hits = found.slice(0, request.size)
    const counted = (first.aggregations as { posts?: { value: number } } | undefined)?.posts?.value ?? 0
    const total = { value: counted, relation: counted < POSTS_PRECISION ? 'eq' as const : 'gte' as const }
    const postIds = hits.map((h) => h._source.post_id)
    if (postIds.length === 0) return { total, posts: [], next: null, timed_out: first.timed_out === true }
    const second = await this.search({
      query: { bool: { filter: [{ terms: { post_id: postIds } }] } },
      sort: [{ 'entity.start': 'asc' }, { id: 'asc' }],
      size: Math.min(10_000, postIds.length * 100)
    }, signal)
    const byPost = groupByPost((second.hits as { hits: Array<{ _source: EntityDocument }> }).hits.map((hit) => hit._source))
    const posts = postIds.map((id) => byPost.get(id)).filter((p): p is PostView => p !== undefined)
    const lastSort = hits[hits.length - 1]?.sort
    return {
      total,
      posts,
      next: found.length > request.size && lastSort !== undefined ? encodeCursor('posts', lastSort) : null,
      timed_out: first.timed_out === true || second.timed_out === true
    }
  }
}
