// Fetching untrusted image URLs from the firehose. Every hop is checked by the
// address guard twice: the URL's literal host before the request, and every
// address the resolver returns inside the socket's own lookup, so the address
// checked is the address connected to (no DNS-rebinding window). Redirects
// are followed by hand so each one goes through the same checks.
import dns from 'node:dns'
import type { LookupAddress, LookupOptions } from 'node:dns'
import pLimit from 'p-limit'
import { Agent, request, type Dispatcher } from 'undici'
import type { ImageStatus } from '../contracts/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import { checkAddress, createAllowList, parseAddress, type AllowList } from './address.js'
import type { ImageFetchConfig } from './config.js'
import { sniffFormat, type ImageFormat } from './sniff.js'

export interface FetchedImage {
  /** The final URL after redirects. */
  url: string
  bytes: Buffer
  format: ImageFormat
  contentType: string | null
  redirects: number
}

export type FetchOutcome =
  | { ok: true, image: FetchedImage }
  | { ok: false, status: Exclude<ImageStatus, 'ok' | 'none' | 'disabled' | 'decode_error' | 'refused_pixels' | 'refused_host'>, reason: string }

/** Resolves a host name to every address it has (tests pass a fake to simulate rebinding). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

export interface ImageFetcherDeps {
  resolver?: Resolver
}

export interface ImageFetcher {
  fetch (url: string, signal?: AbortSignal): Promise<FetchOutcome>
  /** Lets in-flight requests finish, then closes the pool. Idempotent. */
  close (): Promise<void>
  /** Aborts in-flight requests. Idempotent. */
  destroy (): Promise<void>
}

const systemResolver: Resolver = async (hostname) => await dns.promises.lookup(hostname, { all: true, verbatim: true })

type Refusal = Extract<FetchOutcome, { ok: false }>

function refuse (status: Refusal['status'], reason: string): Refusal {
  return { ok: false, status, reason }
}

/** Checks a URL before any request: scheme, credentials, and a literal IP host. */
export function checkUrl (raw: string, allow: AllowList): { ok: true, url: URL } | Refusal {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return refuse('refused_scheme', 'not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse('refused_scheme', `scheme ${url.protocol} is not http or https`)
  if (url.username !== '' || url.password !== '') return refuse('refused_scheme', 'URLs with credentials are not fetched')
  const host = url.hostname
  if (host === '') return refuse('refused_address', 'URL has no host')
  if (allow.hostAllowed(host)) return { ok: true, url }
  // WHATWG URL already turns 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1;
  // the loose parser also catches what a resolver would read as an address.
  const literal = parseAddress(host)
  if (literal) {
    const verdict = checkAddress(literal, allow)
    if (!verdict.allowed) return refuse('refused_address', verdict.reason)
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    return refuse('refused_address', `${host} is loopback`)
  }
  return { ok: true, url }
}

const REFUSED = Symbol('groundstream.refusedAddress')

interface LookupCallbackAll { (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void }
interface LookupCallbackOne { (err: NodeJS.ErrnoException | null, address: string, family: number): void }

/**
 * A `lookup` for net/tls.connect that refuses forbidden addresses. If any
 * address of a name is forbidden the name is refused: a mixed answer is what a
 * rebinding attacker would send.
 */
function createGuardedLookup (allow: AllowList, resolver: Resolver) {
  return function guardedLookup (hostname: string, options: LookupOptions, callback: LookupCallbackAll | LookupCallbackOne): void {
    const done = (err: Error | null, addresses: LookupAddress[]): void => {
      if (err) {
        (callback as LookupCallbackOne)(err as NodeJS.ErrnoException, '', 0)
        return
      }
      if (options.all === true) (callback as LookupCallbackAll)(null, addresses)
      else (callback as LookupCallbackOne)(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family)
    }
    resolver(hostname).then((found) => {
      const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found
      if (wanted.length === 0) {
        done(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), [])
        return
      }
      const hostAllowed = allow.hostAllowed(hostname)
      for (const entry of wanted) {
        const parsed = parseAddress(entry.address)
        const verdict = hostAllowed
          ? { allowed: true as const }
          : parsed ? checkAddress(parsed, allow) : { allowed: false as const, reason: `unparseable address ${entry.address}` }
        if (!verdict.allowed) {
          const error = new GroundstreamError('GS_ERR_IMAGE_REFUSED', `${hostname} resolves to a forbidden address: ${verdict.reason}`, { details: { hostname, address: entry.address } })
          Object.defineProperty(error, REFUSED, { value: true })
          done(error, [])
          return
        }
      }
      done(null, wanted)
    }, (error: unknown) => { done(error instanceof Error ? error : new Error(String(error)), []) })
  }
}

function findInChain (error: unknown, test: (e: Error & { code?: unknown }) => boolean): (Error & { code?: unknown }) | null {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (test(current as Error & { code?: unknown })) return current as Error & { code?: unknown }
    current = (current as Error).cause
  }
  return null
}

function classifyError (error: unknown, timedOut: boolean): Refusal {
  const refused = findInChain(error, (e) => (e as unknown as Record<symbol, unknown>)[REFUSED] === true)
  if (refused) return refuse('refused_address', refused.message)
  if (timedOut) return refuse('timeout', 'request exceeded its time limit')
  const timeout = findInChain(error, (e) => typeof e.code === 'string' && /TIMEOUT/.test(e.code))
  if (timeout) return refuse('timeout', `${String(timeout.code)}: ${timeout.message}`)
  const coded = findInChain(error, (e) => typeof e.code === 'string')
  return refuse('fetch_error', coded ? `${String(coded.code)}: ${coded.message}` : errorMessage(error))
}

const CONTENT_TYPES: Record<string, ImageFormat> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/tiff': 'tiff'
}

/** Stops reading a body we will not use; the abort error it then emits is expected, not a failure. */
function discard (body: Dispatcher.ResponseData['body']): void {
  body.once('error', () => undefined)
  body.destroy()
}

async function readLimited (body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of body) {
    const buf = chunk as Buffer
    total += buf.length
    if (total > maxBytes) {
      discard(body)
      return null
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks, total)
}

function validateConfig (config: ImageFetchConfig): AllowList {
  try {
    return createAllowList(config.allowHosts, config.allowCidrs)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `images.fetch: ${errorMessage(error)}`, { cause: error })
  }
}

export function createImageFetcher (config: ImageFetchConfig, deps: ImageFetcherDeps = {}): ImageFetcher {
  const allow = validateConfig(config)
  const allowedFormats = new Set<ImageFormat>(config.allowedFormats)
  const agent = new Agent({
    connections: config.connectionsPerOrigin,
    connect: {
      timeout: config.connectTimeoutMs,
      lookup: createGuardedLookup(allow, deps.resolver ?? systemResolver)
    },
    headersTimeout: config.requestTimeoutMs,
    bodyTimeout: config.requestTimeoutMs
  })
  const slots = pLimit(config.maxConcurrent)
  let closed = false

  async function fetchOnce (raw: string, outer: AbortSignal | undefined): Promise<FetchOutcome> {
    const timer = AbortSignal.timeout(config.requestTimeoutMs)
    const signal = outer ? AbortSignal.any([outer, timer]) : timer
    let current = raw
    for (let hop = 0; ; hop++) {
      const checked = checkUrl(current, allow)
      if (!checked.ok) return hop === 0 ? checked : { ...checked, reason: `redirect ${hop}: ${checked.reason}` }
      let response: Dispatcher.ResponseData
      try {
        response = await request(checked.url, {
          method: 'GET',
          dispatcher: agent,
          signal,
          headers: { 'user-agent': config.userAgent, accept: 'image/*', 'accept-encoding': 'identity' }
        })
      } catch (error) {
        return classifyError(error, timer.aborted || (outer?.aborted ?? false))
      }
      const { statusCode, headers, body } = response
      if (statusCode >= 300 && statusCode < 400 && headers.location !== undefined) {
        await body.dump().catch(() => undefined)
        if (hop >= config.maxRedirects) return refuse('fetch_error', `more than ${config.maxRedirects} redirects`)
        const location = Array.isArray(headers.location) ? headers.location[0] : headers.location
        try {
          current = new URL(String(location), checked.url).toString()
        } catch {
          return refuse('fetch_error', 'redirect to an invalid URL')
        }
        continue
      }
      if (statusCode !== 200) {
        await body.dump().catch(() => undefined)
        return refuse('fetch_error', `HTTP ${statusCode}`)
      }
      const rawType = headers['content-type']
      const contentType = rawType === undefined ? null : String(Array.isArray(rawType) ? rawType[0] : rawType).split(';')[0]?.trim().toLowerCase() ?? null
      if (contentType !== null && contentType !== 'application/octet-stream') {
        const declared = CONTENT_TYPES[contentType]
        if (declared === undefined || !allowedFormats.has(declared)) {
          discard(body)
          return refuse('refused_type', `content-type ${contentType} is not an accepted image type`)
        }
      }
      const length = Number(headers['content-length'])
      if (Number.isFinite(length) && length > config.maxBytes) {
        discard(body)
        return refuse('refused_size', `content-length ${length} exceeds ${config.maxBytes} bytes`)
      }
      let bytes: Buffer | null
      try {
        bytes = await readLimited(body, config.maxBytes)
      } catch (error) {
        return classifyError(error, timer.aborted || (outer?.aborted ?? false))
      }
      if (bytes === null) return refuse('refused_size', `body exceeds ${config.maxBytes} bytes`)
      const format = sniffFormat(bytes)
      if (format === null || !allowedFormats.has(format)) {
        return refuse('refused_type', format === null ? 'bytes are not a recognised image format' : `format ${format} is not accepted`)
      }
      return { ok: true, image: { url: checked.url.toString(), bytes, format, contentType, redirects: hop } }
    }
  }

  return Object.freeze({
    async fetch (url: string, signal?: AbortSignal): Promise<FetchOutcome> {
      if (closed) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'image fetcher is closed')
      return await slots(async () => await fetchOnce(url, signal))
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      await agent.close()
    },
    async destroy (): Promise<void> {
      closed = true
      if (!agent.destroyed) await agent.destroy()
    }
  })
}
