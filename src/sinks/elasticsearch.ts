// The Elasticsearch sink: an index template put on init, then bulk requests
// of at most maxBulkBytes each per micro-batch. A request refused as a whole
// (413 and other non-retriable 4xx) is split in halves until the refusal comes
// down to one document, so one oversized post never sinks its neighbours.
// Every document carries its processing's generation (microseconds, used as
// an external version) and once a batch is in, older generations of its posts
// are deleted, so a replay with a different result leaves no stale mention. Connection errors, timeouts, 429 and 5xx (for the
// whole request or single items) are retried with exponential backoff and
// jitter; other item failures are final and reported so the post is
// dead-lettered. With no retry budget the sink waits out an outage until the
// pipeline aborts it, so upstream fills up and the consumer pauses.
import { errors, type Client } from '@elastic/elasticsearch'
import type { ModelVersions } from '../contracts/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import { retry } from '../shared/index.js'
import type { PostWork, Sink, SinkOutcome } from '../pipeline/index.js'
import { toEntityDocuments } from './documents.js'
import { entityIndexMappings, entityIndexTemplate } from './index-template.js'

export interface ElasticsearchSinkOptions {
  client: Client
  index: string
  models: ModelVersions
  retryInitialMs: number
  retryMaxMs: number
  /** Retries after the first attempt: 0 none; Infinity until the signal aborts. */
  maxRetries: number
  refresh?: 'false' | 'wait_for' | 'true'
  /** Called once per failed attempt with a short kind (connection, timeout, http_429, item_503...). */
  onError?: (kind: string, error: unknown) => void
  onRetry?: (info: { attempt: number, delayMs: number, error: unknown }) => void
  now?: () => Date
  /** Largest bulk request body in bytes (default 10 MiB, well under Elasticsearch's 100 MB http.max_content_length). */
  maxBulkBytes?: number
  /** Called with the body size of each bulk request sent. */
  onBulk?: (bytes: number, documents: number) => void
}

const DEFAULT_MAX_BULK_BYTES = 10 * 1024 * 1024

/** Whole-request refusals that may be caused by one document in it. */
const SPLIT_ON: ReadonlySet<string> = new Set(['http_413', 'http_400', 'other'])

/** Turns a client error into a coded one; retriable when waiting could help. */
function classifyElasticsearchError (error: unknown): { kind: string, error: GroundstreamError } {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0
    const retriable = status === 429 || status >= 500
    return {
      kind: `http_${status}`,
      error: new GroundstreamError(retriable ? 'GS_ERR_SINK' : 'GS_ERR_SINK_REJECTED', `Elasticsearch answered ${status}: ${errorMessage(error)}`, { cause: error, retriable })
    }
  }
  if (error instanceof errors.TimeoutError) {
    return { kind: 'timeout', error: new GroundstreamError('GS_ERR_SINK', `Elasticsearch request timed out: ${errorMessage(error)}`, { cause: error, retriable: true }) }
  }
  if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
    return { kind: 'connection', error: new GroundstreamError('GS_ERR_SINK', `cannot reach Elasticsearch: ${errorMessage(error)}`, { cause: error, retriable: true }) }
  }
  if (error instanceof GroundstreamError) return { kind: error.code === 'GS_ERR_SINK_REJECTED' ? 'rejected' : 'other', error }
  return { kind: 'other', error: new GroundstreamError('GS_ERR_SINK', `Elasticsearch request failed: ${errorMessage(error)}`, { cause: error, retriable: false }) }
}

interface PendingDoc {
  item: number
  id: string
  body: unknown
  /** Action line plus document line, in bytes, as the bulk body carries them. */
  bytes: number
}

interface BulkItemResult {
  status?: number
  error?: { type?: string, reason?: string | null } | null
}

/** Bulk request bodies at most maxBytes each, in order. */
function chunkByBytes<T extends { bytes: number }> (docs: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let size = 0
  for (const doc of docs) {
    if (current.length > 0 && size + doc.bytes > maxBytes) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(doc)
    size += doc.bytes
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

export class ElasticsearchSink implements Sink {
  readonly name = 'sink'
  private readonly options: ElasticsearchSinkOptions
  private readonly maxBulkBytes: number
  private lastGeneration = 0

  constructor (options: ElasticsearchSinkOptions) {
    this.options = options
    this.maxBulkBytes = options.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES
  }

  /**
   * Puts the index template and creates the index, or brings an existing
   * index's mapping up to the template's (added fields such as
   * `entity.brand`; a conflicting change is refused here, at start, not item
   * by item later); waits for Elasticsearch like a bulk request would.
   */
  async init (signal?: AbortSignal): Promise<void> {
    const template = entityIndexTemplate(this.options.index)
    await this.withRetry(async () => {
      try {
        await this.options.client.indices.putIndexTemplate({ name: template.name, ...template.body }, { signal })
        // Created up front so searches work before the first document lands.
        const exists = await this.options.client.indices.exists({ index: this.options.index }, { signal })
        if (!exists) {
          await this.options.client.indices.create({ index: this.options.index }, { signal, ignore: [400] })
        } else {
          await this.options.client.indices.putMapping({ index: this.options.index, ...entityIndexMappings() }, { signal })
        }
      } catch (error) {
        const classified = classifyElasticsearchError(error)
        this.options.onError?.(classified.kind, error)
        throw classified.error
      }
    }, signal)
  }

  async write (items: readonly PostWork[], signal: AbortSignal): Promise<SinkOutcome[]> {
    const processedAt = (this.options.now?.() ?? new Date()).toISOString()
    const outcomes: SinkOutcome[] = items.map(() => ({ ok: true, documents: 0 }))
    const rejectItem = (item: number, reason: string, detail: string): void => {
      if (outcomes[item]?.ok === true) outcomes[item] = { ok: false, reason, detail }
    }
    const generation = this.nextGeneration()
    const docs: PendingDoc[] = []
    items.forEach((work, item) => {
      for (const entity of toEntityDocuments(work, this.options.models, processedAt)) {
        const doc = { ...entity, generation }
        const bytes = Buffer.byteLength(JSON.stringify(this.action(doc.id, generation))) + Buffer.byteLength(JSON.stringify(doc)) + 2
        // A document no request may carry sinks its own post, and only that one.
        if (bytes > this.maxBulkBytes) {
          rejectItem(item, 'document_too_large', `a mention document of post ${work.post.id} is ${bytes} bytes, more than elasticsearch.maxBulkBytes (${this.maxBulkBytes})`)
          continue
        }
        docs.push({ item, id: doc.id, body: doc, bytes })
      }
    })
    // Requests still to send, in order; each at most maxBulkBytes.
    let queue = chunkByBytes(docs, this.maxBulkBytes)
    await this.withRetry(async () => {
      const retryLater: PendingDoc[] = []
      while (queue.length > 0) {
        const chunk = (queue.shift() as PendingDoc[]).filter((doc) => outcomes[doc.item]?.ok === true)
        if (chunk.length === 0) continue
        const operations: unknown[] = []
        for (const doc of chunk) operations.push(this.action(doc.id, generation), doc.body)
        this.options.onBulk?.(chunk.reduce((sum, doc) => sum + doc.bytes, 0), chunk.length)
        let response
        try {
          response = await this.options.client.bulk({ operations, refresh: this.options.refresh ?? 'false' }, { signal })
        } catch (error) {
          const classified = classifyElasticsearchError(error)
          this.options.onError?.(classified.kind, error)
          if (classified.error.retriable) {
            queue = [chunk, ...queue, ...chunkByBytes(retryLater, this.maxBulkBytes)]
            throw classified.error
          }
          // The whole request was refused for what it carries (413 Request Entity Too Large, 400, a
          // connection cut mid-body): halve it until the refusal comes down to one document, so only
          // that document's post is rejected. Other refusals (401, 403...) concern every document.
          if (chunk.length > 1 && SPLIT_ON.has(classified.kind)) {
            const half = Math.ceil(chunk.length / 2)
            queue.unshift(chunk.slice(0, half), chunk.slice(half))
          } else {
            for (const doc of chunk) rejectItem(doc.item, classified.kind, classified.error.message)
          }
          continue
        }
        response.items.forEach((entry, i) => {
          const doc = chunk[i] as PendingDoc
          const result = (entry.index ?? Object.values(entry)[0]) as BulkItemResult | undefined
          const status = result?.status ?? 0
          // 409 under external versioning: this generation (a retried request) or a newer one is already there.
          if ((status >= 200 && status < 300) || status === 409) {
            const outcome = outcomes[doc.item]
            if (outcome?.ok === true) outcome.documents++
            return
          }
          const kind = `item_${status}`
          this.options.onError?.(kind, result?.error)
          if (status === 429 || status >= 500 || status === 0) {
            retryLater.push(doc)
          } else {
            rejectItem(doc.item, result?.error?.type ?? kind, result?.error?.reason ?? `status ${status}`)
          }
        })
      }
      if (retryLater.length > 0) {
        queue = chunkByBytes(retryLater, this.maxBulkBytes)
        throw new GroundstreamError('GS_ERR_SINK', `${retryLater.length} documents were not indexed (busy or unavailable)`, { retriable: true })
      }
    }, signal)
    // Post-level convergence: the index keeps exactly this processing's mentions of each indexed post.
    const indexed = items.filter((_, item) => outcomes[item]?.ok === true).map((work) => work.post.id)
    if (indexed.length > 0) await this.deleteOlderGenerations([...new Set(indexed)], generation, signal)
    return outcomes
  }

  private action (id: string, generation: number): unknown {
    // External versioning: a document of an older generation arriving late never replaces a newer one.
    return { index: { _index: this.options.index, _id: id, version: generation, version_type: 'external' } }
  }

  /** Microseconds since the epoch, strictly increasing within this process. */
  private nextGeneration (): number {
    this.lastGeneration = Math.max((this.options.now?.() ?? new Date()).getTime() * 1000, this.lastGeneration + 1)
    return this.lastGeneration
  }

  /**
   * Removes every mention of these posts from older generations (or from before
   * generations existed). Runs only after all of a post's documents are in, so
   * a crash before it leaves old and new side by side until the replay, whose
   * own delete then removes both the old and the half-written ones. Found by a
   * search and deleted in bulk (not _delete_by_query, which needs the reindex
   * module), each delete versioned with this generation so it can never remove
   * a newer processing's document. Idempotent: a retry finds what is left.
   */
  private async deleteOlderGenerations (postIds: string[], generation: number, signal: AbortSignal): Promise<void> {
    const page = 1000
    for (let from = 0; from < postIds.length; from += page) {
      const ids = postIds.slice(from, from + page)
      await this.withRetry(async () => {
        try {
          let after: Array<string | number> | undefined
          for (;;) {
            const found = await this.options.client.search({
              index: this.options.index,
              size: page,
              _source: false,
              sort: [{ id: 'asc' }],
              ...(after === undefined ? {} : { search_after: after }),
              query: {
                bool: {
                  filter: [{ terms: { post_id: ids } }],
                  should: [
                    { range: { generation: { lt: generation } } },
                    { bool: { must_not: { exists: { field: 'generation' } } } }
                  ],
                  minimum_should_match: 1
                }
              }
            }, { signal })
            const hits = found.hits.hits
            if (hits.length === 0) return
            const operations = hits.map((hit) => ({ delete: { _index: this.options.index, _id: hit._id as string, version: generation, version_type: 'external' as const } }))
            const response = await this.options.client.bulk({ operations, refresh: this.options.refresh ?? 'false' }, { signal })
            for (const entry of response.items) {
              const status = entry.delete?.status ?? 0
              // 404: already gone; 409: a newer generation replaced it in the meantime.
              if ((status >= 200 && status < 300) || status === 404 || status === 409) continue
              this.options.onError?.(`delete_item_${status}`, entry.delete?.error)
              throw new GroundstreamError('GS_ERR_SINK', `could not delete an older mention (status ${status})`, { retriable: status === 429 || status >= 500 || status === 0 })
            }
            if (hits.length < page) return
            after = hits[hits.length - 1]?.sort as Array<string | number> | undefined
          }
        } catch (error) {
          const classified = classifyElasticsearchError(error)
          if (!(error instanceof GroundstreamError)) this.options.onError?.(`delete_${classified.kind}`, error)
          throw classified.error
        }
      }, signal)
    }
  }

  async close (): Promise<void> {
    // The client is owned (and closed) by whoever created it.
  }

  private async withRetry (fn: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    await retry(async () => {
      if (signal?.aborted === true) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'sink write aborted')
      await fn()
    }, {
      initialDelayMs: this.options.retryInitialMs,
      maxDelayMs: this.options.retryMaxMs,
      retries: this.options.maxRetries,
      signal,
      abortError: () => new GroundstreamError('GS_ERR_SHUTDOWN', 'sink write aborted'),
      onRetry: this.options.onRetry
    })
  }
}
