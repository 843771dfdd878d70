// The Elasticsearch sink: an index template put on init, then one bulk
// request per micro-batch. Connection errors, timeouts, 429 and 5xx (for the
// whole request or single items) are retried with exponential backoff and
// jitter; other item failures are final and reported so the post is
// dead-lettered. With no retry budget the sink waits out an outage until the
// pipeline aborts it, so upstream fills up and the consumer pauses.
import { errors, type Client } from '@elastic/elasticsearch'
import type { ModelVersions } from '../contracts/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import { retry } from '../pipeline/index.js'
import type { PostWork, Sink, SinkOutcome } from '../pipeline/index.js'
import { toEntityDocuments } from './documents.js'
import { entityIndexTemplate } from './index-template.js'

export interface ElasticsearchSinkOptions {
  client: Client
  index: string
  models: ModelVersions
  retryInitialMs: number
  retryMaxMs: number
  /** 0: retry until the signal aborts. */
  maxRetries: number
  refresh?: 'false' | 'wait_for' | 'true'
  /** Called once per failed attempt with a short kind (connection, timeout, http_429, item_503...). */
  onError?: (kind: string, error: unknown) => void
  onRetry?: (info: { attempt: number, delayMs: number, error: unknown }) => void
  now?: () => Date
}

/** Turns a client error into a coded one; retriable when waiting could help. */
export function classifyElasticsearchError (error: unknown): { kind: string, error: GroundstreamError } {
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
}

interface BulkItemResult {
  status?: number
  error?: { type?: string, reason?: string | null } | null
}

export class ElasticsearchSink implements Sink {
  readonly name = 'sink'
  private readonly options: ElasticsearchSinkOptions

  constructor (options: ElasticsearchSinkOptions) {
    this.options = options
  }

  /** Puts the index template and creates the index; waits for Elasticsearch like a bulk request would. */
  async init (signal?: AbortSignal): Promise<void> {
    const template = entityIndexTemplate(this.options.index)
    await this.withRetry(async () => {
      try {
        await this.options.client.indices.putIndexTemplate({ name: template.name, ...template.body }, { signal })
        // Created up front so searches work before the first document lands.
        const exists = await this.options.client.indices.exists({ index: this.options.index }, { signal })
        if (!exists) {
          await this.options.client.indices.create({ index: this.options.index }, { signal, ignore: [400] })
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
    let remaining: PendingDoc[] = []
    items.forEach((work, item) => {
      for (const doc of toEntityDocuments(work, this.options.models, processedAt)) {
        remaining.push({ item, id: doc.id, body: doc })
      }
    })
    const rejectItem = (item: number, reason: string, detail: string): void => {
      outcomes[item] = { ok: false, reason, detail }
    }
    await this.withRetry(async () => {
      remaining = remaining.filter((doc) => outcomes[doc.item]?.ok === true)
      if (remaining.length === 0) return
      const operations: unknown[] = []
      for (const doc of remaining) operations.push({ index: { _index: this.options.index, _id: doc.id } }, doc.body)
      let response
      try {
        response = await this.options.client.bulk({ operations, refresh: this.options.refresh ?? 'false' }, { signal })
      } catch (error) {
        const classified = classifyElasticsearchError(error)
        this.options.onError?.(classified.kind, error)
        if (!classified.error.retriable) {
          for (const doc of remaining) rejectItem(doc.item, classified.kind, classified.error.message)
          remaining = []
          return
        }
        throw classified.error
      }
      const retry: PendingDoc[] = []
      response.items.forEach((entry, i) => {
        const doc = remaining[i] as PendingDoc
        const result = (entry.index ?? Object.values(entry)[0]) as BulkItemResult | undefined
        const status = result?.status ?? 0
        if (status >= 200 && status < 300) {
          const outcome = outcomes[doc.item]
          if (outcome?.ok === true) outcome.documents++
          return
        }
        const kind = `item_${status}`
        this.options.onError?.(kind, result?.error)
        if (status === 429 || status >= 500 || status === 0) {
          retry.push(doc)
        } else {
          rejectItem(doc.item, result?.error?.type ?? kind, result?.error?.reason ?? `status ${status}`)
        }
      })
      remaining = retry
      if (remaining.length > 0) {
        throw new GroundstreamError('GS_ERR_SINK', `${remaining.length} documents were not indexed (busy or unavailable)`, { retriable: true })
      }
    }, signal)
    return outcomes
  }

  async close (): Promise<void> {
    // The client is owned (and closed) by whoever created it.
  }

  private async withRetry (fn: () => Promise<void>, signal?: AbortSignal): Promise<void> {
    await retry(async () => {
      if (signal?.aborted === true) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'sink write aborted')
      await fn()
    }, {
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
      retries: this.options.maxRetries,
      signal,
      onRetry: this.options.onRetry
    })
  }
}
