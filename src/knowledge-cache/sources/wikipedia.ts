// Wikipedia page summaries over the MediaWiki REST API
// (`{baseUrl}/page/summary/{title}`), with undici. Polite and bounded on
// misses: a token bucket, retries with backoff and jitter on 429/5xx/network
// errors only, a circuit breaker around the whole call, redirects followed by
// hand (same origin only) and disambiguation pages treated as "not known".
import { Pool, errors as undiciErrors } from 'undici'
import type { Dispatcher } from 'undici'
import { GroundstreamError, isGroundstreamError, wrapError } from '../../errors/index.js'
import type { WikipediaConfig } from '../config.js'
import { createSourceBreaker } from '../breaker.js'
import type { KnowledgeInstrumentation } from '../instrumentation.js'
import { systemClock, type Clock } from '../../shared/index.js'
import { TokenBucket } from '../rate-limit.js'
import { retry } from '../../shared/index.js'
import { abortReason } from '../abort.js'
import type { KnowledgeSource, SourceAnswer, SourceQuery } from './types.js'

/** Summaries are a few KB; anything much larger is not a summary. */
const MAX_BODY_BYTES = 256 * 1024
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

interface SummaryBody {
  type?: unknown
  title?: unknown
  titles?: { canonical?: unknown, normalized?: unknown }
  description?: unknown
  extract?: unknown
  wikibase_item?: unknown
}

export interface WikipediaSourceDeps {
  /** The rate limit's clock (the breaker times itself with Date.now(), as cockatiel does). */
  clock?: Clock
  instrumentation?: KnowledgeInstrumentation
  /** Tests pass a fixed generator so backoff delays are predictable. */
  random?: () => number
  /** Replaces the pool created from the config (tests, shared agents). */
  dispatcher?: Dispatcher
}

export interface WikipediaSource extends KnowledgeSource {
  readonly breakerState: string
  close: () => Promise<void>
}

/** The page title for a cleaned surface form: MediaWiki titles use underscores and a capital first letter. */
function wikipediaTitle (display: string): string {
  const trimmed = display.trim().replace(/\s+/g, '_')
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
}

function asString (value: unknown): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : null
}

function retryAfterMs (header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

async function readBody (body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      body.destroy()
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia summary larger than ${MAX_BODY_BYTES} bytes`, { retriable: false })
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function toAnswer (body: SummaryBody, fallbackTitle: string): SourceAnswer | null {
  if (body.type === 'disambiguation' || body.type === 'no-extract') return null
  const title = asString(body.title) ?? asString(body.titles?.normalized) ?? fallbackTitle.replace(/_/g, ' ')
  const canonical = asString(body.titles?.canonical) ?? wikipediaTitle(title)
  const extract = asString(body.extract)
  const description = asString(body.description)
  if (extract === null && description === null) return null
  const text = [description === null ? null : `${title}: ${description}.`, extract].filter((part) => part !== null).join(' ')
  const item = asString(body.wikibase_item)
  return { canonicalId: item === null ? `enwiki:${canonical}` : `wikidata:${item}`, title, text }
}

/** Network-level failures from undici: worth a retry, and count against the upstream. */
function wrapTransportError (error: unknown, signal: AbortSignal): GroundstreamError {
  if (signal.aborted) return abortReason(signal)
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError ||
      error instanceof undiciErrors.ConnectTimeoutError) {
    return new GroundstreamError('GS_ERR_KNOWLEDGE_TIMEOUT', `wikipedia request timed out: ${(error as Error).message}`, { cause: error, retriable: true })
  }
  return wrapError('GS_ERR_KNOWLEDGE_SOURCE', 'wikipedia request failed', error, true)
}

/** A 4xx other than 429 is a bad title, not a sick upstream. */
function countsAgainstUpstream (error: unknown): boolean {
  return !(isGroundstreamError(error) && error.details.clientError === true)
}

export function createWikipediaSource (config: WikipediaConfig, deps: WikipediaSourceDeps = {}): WikipediaSource {
  const clock = deps.clock ?? systemClock
  const instrumentation = deps.instrumentation ?? {}
  const base = new URL(config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`)
  const ownsDispatcher = deps.dispatcher === undefined
  const dispatcher: Dispatcher = deps.dispatcher ?? new Pool(base.origin, {
    connections: config.connections,
    connect: { timeout: config.connectTimeoutMs },
    headersTimeout: config.requestTimeoutMs,
    bodyTimeout: config.requestTimeoutMs,
    keepAliveTimeout: 30_000
  })
  const bucket = new TokenBucket(config.rateLimitPerSecond, config.rateLimitBurst, clock)
  const breaker = createSourceBreaker({
    name: 'wikipedia',
    failureThreshold: config.breakerFailureThreshold,
    resetMs: config.breakerResetMs,
    isFailure: countsAgainstUpstream,
    onStateChange: (state) => instrumentation.breaker?.({ source: 'wikipedia', state })
  })
  let closed = false

  /** One HTTP exchange: an answer, null (not known), a redirect target, or a thrown error. */
  async function fetchOnce (url: URL, signal: AbortSignal, attempt: number): Promise<SourceAnswer | null | URL> {
    await bucket.take(signal)
    const started = performance.now()
    let response: Dispatcher.ResponseData
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headers: {
          'user-agent': config.userAgent,
          accept: 'application/json; charset=utf-8; profile="https://www.mediawiki.org/wiki/Specs/Summary/1.4.0"'
        },
        signal,
        headersTimeout: config.requestTimeoutMs,
        bodyTimeout: config.requestTimeoutMs
      })
    } catch (error) {
      instrumentation.httpAttempt?.({ source: 'wikipedia', status: 0, durationMs: performance.now() - started, attempt })
      throw wrapTransportError(error, signal)
    }
    const { statusCode, headers } = response
    let text: string
    try {
      text = await readBody(response.body)
    } catch (error) {
      instrumentation.httpAttempt?.({ source: 'wikipedia', status: statusCode, durationMs: performance.now() - started, attempt })
      throw isGroundstreamError(error) ? error : wrapTransportError(error, signal)
    }
    instrumentation.httpAttempt?.({ source: 'wikipedia', status: statusCode, durationMs: performance.now() - started, attempt })
    if (statusCode === 200) {
      let body: SummaryBody
      try {
        body = JSON.parse(text) as SummaryBody
      } catch (error) {
        throw wrapError('GS_ERR_KNOWLEDGE_SOURCE', 'wikipedia summary is not JSON', error, false)
      }
      return toAnswer(body, decodeURIComponent(url.pathname.split('/').pop() ?? ''))
    }
    if (statusCode === 404) return null
    if (REDIRECT_STATUSES.has(statusCode)) {
      const location = Array.isArray(headers.location) ? headers.location[0] : headers.location
      if (location === undefined) throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia ${statusCode} without location`, { retriable: false })
      return new URL(location, url)
    }
    const details = { status: statusCode, url: url.href, retryAfterMs: retryAfterMs(headers['retry-after']) }
    if (statusCode === 429 || statusCode >= 500) {
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia answered ${statusCode}`, { retriable: true, details })
    }
    throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia answered ${statusCode}`, { retriable: false, details: { ...details, clientError: true } })
  }

  async function fetchSummary (title: string, signal: AbortSignal): Promise<SourceAnswer | null> {
    let url = new URL(`page/summary/${encodeURIComponent(title)}`, base)
    for (let hops = 0; ; hops++) {
      const target = url
      const result = await retry((attempt) => fetchOnce(target, signal, attempt), {
        retries: config.retries,
        initialDelayMs: config.retryBaseDelayMs,
        maxDelayMs: config.retryMaxDelayMs,
        signal,
        wrap: (error) => wrapError('GS_ERR_KNOWLEDGE_SOURCE', 'knowledge source call failed', error),
        abortError: abortReason,
        ...(deps.random === undefined ? {} : { random: deps.random })
      })
      if (!(result instanceof URL)) return result
      if (result.origin !== base.origin) {
        throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia redirected off-origin to ${result.origin}`, { retriable: false })
      }
      if (hops >= config.maxRedirects) {
        throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `wikipedia redirected more than ${config.maxRedirects} times`, { retriable: false, details: { url: url.href } })
      }
      url = result
    }
  }

  return {
    name: 'wikipedia',
    get breakerState () {
      return breaker.state
    },
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      if (closed) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'wikipedia source is closed')
      const title = wikipediaTitle(query.display)
      if (title.length === 0) return null
      return await breaker.call(async () => await fetchSummary(title, query.signal))
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      if (ownsDispatcher) await dispatcher.close()
    }
  }
}
