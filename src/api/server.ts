// The HTTP face of the entity index: the search/tracking API under /api/v1,
// health and metrics endpoints, the OpenAPI document, and the viewer page.
// Everything it needs (Elasticsearch client, metrics registry, logger, clock)
// is passed in; `close()` stops accepting, lets in-flight requests finish and
// is idempotent.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { extname, join, resolve } from 'node:path'
import type { Client } from '@elastic/elasticsearch'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { Counter, Histogram, type Registry } from 'prom-client'
import { GroundstreamError } from '../errors/index.js'
import type { ApiConfig } from './config.js'
import { apiErrorBody as errorBody, apiErrorFor, type ApiErrorCode } from './errors.js'
import { EXPORT_CONTENT_TYPES, ExportSlots, exportFileName, exportStream } from './export.js'
import { invalid, parseRequest, requestSchemas } from './requests.js'
import type { SearchBackend } from './backend.js'
import { EntitySearch } from './search.js'

export interface ApiServerDeps {
  /** The Elasticsearch client, when `search` is not given. */
  client?: Client
  /** The entity store to answer from; defaults to Elasticsearch through `client`. */
  search?: SearchBackend
  registry: Registry
  logger?: Logger
  now?: () => Date
  /** Where openapi/ and the static dir are resolved from (the repository or image root). */
  root?: string
}

export interface ApiServer {
  readonly url: string
  /** Every route registered, as `METHOD /path` (path parameters as `:name`). */
  readonly routes: readonly string[]
  close (): Promise<void>
}

/** Headers on every response, JSON and errors included (the viewer's CSP is the default for all of them). */
const SECURITY_HEADERS = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
})

/** Every route the server answers; test/api checks the OpenAPI file documents exactly these. */
export const API_ROUTES = Object.freeze([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.yaml',
  '/api/v1/mentions',
  '/api/v1/timeline',
  '/api/v1/trending',
  '/api/v1/cooccurring',
  '/api/v1/posts',
  '/api/v1/export',
  '/api/v1/extent'
] as const)

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon'
})

const VIEWER_CSP = "default-src 'self'; img-src 'self' http: https: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

/** Reads the viewer's files once: a fixed set of names, nothing resolved from the URL. */
function loadStatic (dir: string): Map<string, { body: Buffer, type: string }> {
  const files = new Map<string, { body: Buffer, type: string }>()
  let names: string[] = []
  try {
    names = readdirSync(dir)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `viewer directory ${dir} cannot be read`, { cause: error })
  }
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name).toLowerCase()]
    const path = join(dir, name)
    if (type === undefined || !statSync(path).isFile()) continue
    files.set(name, { body: readFileSync(path), type })
  }
  if (!files.has('index.html')) throw new GroundstreamError('GS_ERR_CONFIG', `viewer directory ${dir} has no index.html`)
  return files
}

export async function createApiServer (config: Readonly<ApiConfig>, deps: ApiServerDeps): Promise<ApiServer> {
  const root = deps.root ?? process.cwd()
  const limits = config.limits
  const schemas = requestSchemas(limits)
  const registers = [deps.registry]
  const p = config.metrics.prefix
  const requests = new Counter({ name: `${p}requests_total`, help: 'API requests by route and status', labelNames: ['route', 'status'], registers })
  const duration = new Histogram({ name: `${p}request_duration_seconds`, help: 'API request duration by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers })
  const esErrors = new Counter({ name: `${p}elasticsearch_errors_total`, help: 'Failed API searches by kind (timeout, connection, http_4xx/5xx, overloaded)', labelNames: ['kind'], registers })
  let search: SearchBackend
  if (deps.search !== undefined) {
    search = deps.search
  } else {
    if (deps.client === undefined) throw new GroundstreamError('GS_ERR_CONFIG', 'the API server needs an Elasticsearch client or a search backend')
    search = new EntitySearch({
      client: deps.client,
      index: config.elasticsearch.index,
      limits,
      ...(deps.now === undefined ? {} : { now: deps.now }),
      onError: (kind) => { esErrors.inc({ kind }) }
    })
  }
  const staticFiles = loadStatic(resolve(root, config.staticDir))
  const openapi = readFileSync(resolve(root, 'openapi/groundstream-api.yaml'))
  const mediaDir = config.mediaDir === undefined ? null : resolve(root, config.mediaDir)

  const app = Fastify({
    // Fastify's per-request log lines would drown the logs in probe traffic:
    // groundstream_api_requests_total counts requests, failures are logged below.
    logger: false,
    requestTimeout: limits.requestTimeoutMs + 1000,
    connectionTimeout: limits.requestTimeoutMs + 5000,
    bodyLimit: 16 * 1024,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Failures before routing (Node's HTTP parser, the router) answer in our shape too.
    clientErrorHandler: (error: Error & { code?: string }, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      const [status, code, message]: [number, ApiErrorCode, string] = error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'GS_ERR_API_INVALID', 'the request line and headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'GS_ERR_TIMEOUT', 'the request was not received in time']
          : [400, 'GS_ERR_API_INVALID', 'the request could not be parsed']
      const body = JSON.stringify(errorBody(code, message))
      const security = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('')
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${security}Content-Security-Policy: ${VIEWER_CSP}\r\nConnection: close\r\n\r\n${body}`)
    },
    frameworkErrors: (error, _request, reply) => {
      const message = error.code === 'FST_ERR_BAD_URL' ? 'the URL is not validly percent-encoded' : 'the request was refused'
      void (reply as FastifyReply).code(400).send(errorBody('GS_ERR_API_INVALID', message))
    }
  })

  const routes: string[] = []
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`)
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.headers(SECURITY_HEADERS)
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', VIEWER_CSP)
    return payload
  })

  // The query string's percent-encoding is checked here, so a malformed one is a 400, not a silently mangled value.
  app.addHook('onRequest', async (request) => {
    const url = request.raw.url ?? ''
    const mark = url.indexOf('?')
    if (mark === -1) return
    for (const part of url.slice(mark + 1).split(/[&=]/u)) {
      try {
        decodeURIComponent(part.replace(/\+/gu, ' '))
      } catch {
        throw invalid('the query string is not validly percent-encoded')
      }
    }
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({ route, status: String(reply.statusCode) })
    duration.observe({ route }, reply.elapsedTime / 1000)
  })

  app.setErrorHandler((error: unknown, _request, reply) => {
    const { status, body, unexpected } = apiErrorFor(error)
    if (unexpected) deps.logger?.error({ err: error }, 'API request failed unexpectedly')
    else if (status >= 500) deps.logger?.warn({ err: error }, 'API request failed')
    if (status === 503) void reply.header('retry-after', '1')
    return reply.code(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('GS_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)))

  /** Aborts the searches of a request whose client went away. */
  const abortOnClose = (request: FastifyRequest, reply: FastifyReply): AbortSignal => {
    const controller = new AbortController()
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) controller.abort() })
    request.raw.once('aborted', () => { controller.abort() })
    return controller.signal
  }

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const { ok, ...state } = await search.ready()
    const where = search.kind === 'elasticsearch' ? { index_name: config.elasticsearch.index } : {}
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', backend: search.kind, ...state, ...where })
  })
  app.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()))
  app.get('/openapi.yaml', async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(openapi))

  app.get('/api/v1/mentions', async (request, reply) => search.mentions(parseRequest(schemas.mentions, request.query), abortOnClose(request, reply)))
  app.get('/api/v1/timeline', async (request, reply) => search.timeline(parseRequest(schemas.timeline, request.query), abortOnClose(request, reply)))
  app.get('/api/v1/trending', async (request, reply) => search.trending(parseRequest(schemas.trending, request.query), abortOnClose(request, reply)))
  app.get('/api/v1/cooccurring', async (request, reply) => search.cooccurring(parseRequest(schemas.cooccurring, request.query), abortOnClose(request, reply)))
  app.get('/api/v1/posts', async (request, reply) => search.recentPosts(parseRequest(schemas.posts, request.query), abortOnClose(request, reply)))
  const exports = new ExportSlots(limits.maxConcurrentExports)
  app.get('/api/v1/export', async (request, reply) => {
    const { format, ...filters } = parseRequest(schemas.export, request.query)
    const release = exports.take()
    if (release === null) {
      return reply.code(429).header('retry-after', '5').send(errorBody('GS_ERR_OVERLOADED', `at most ${limits.maxConcurrentExports} exports run at once; try again when one has finished`))
    }
    try {
      const signal = abortOnClose(request, reply)
      const stream = await exportStream(search, filters, format, signal)
      // Freed when the response ends or its client goes away, even while a page is still being read.
      reply.raw.once('close', release)
      stream.once('close', release)
      stream.once('error', (error) => { if (!signal.aborted) deps.logger?.warn({ err: error }, 'export stopped part way') })
      return await reply.type(EXPORT_CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${exportFileName(format, deps.now?.() ?? new Date())}"`)
        .header('cache-control', 'no-store')
        .send(stream)
    } catch (error) {
      release()
      throw error
    }
  })
  app.get('/api/v1/extent', async (request, reply) => { parseRequest(schemas.extent, request.query); return await search.extent(abortOnClose(request, reply)) })

  const sendStatic = (name: string, reply: FastifyReply): FastifyReply => {
    const file = staticFiles.get(name)
    if (file === undefined) return reply.code(404).send(errorBody('GS_ERR_NOT_FOUND', `no file ${name}`))
    return reply.type(file.type).header('content-security-policy', VIEWER_CSP).header('cache-control', 'no-cache').send(file.body)
  }
  app.get('/', async (_request, reply) => sendStatic('index.html', reply))
  app.get<{ Params: { name: string } }>('/static/:name', async (request, reply) => sendStatic(request.params.name, reply))
  if (mediaDir !== null) {
    app.get<{ Params: { name: string } }>('/media/:name', async (request, reply) => {
      const name = request.params.name
      const type = CONTENT_TYPES[extname(name).toLowerCase()]
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u.test(name) || type === undefined || !type.startsWith('image/')) {
        return reply.code(404).send(errorBody('GS_ERR_NOT_FOUND', 'no such image'))
      }
      try {
        return reply.type(type).header('cache-control', 'max-age=300').send(readFileSync(join(mediaDir, name)))
      } catch {
        return reply.code(404).send(errorBody('GS_ERR_NOT_FOUND', 'no such image'))
      }
    })
  }

  const address = await app.listen({ host: config.host, port: config.port })
  let closing: Promise<void> | null = null
  return {
    url: address,
    routes: [...routes],
    close () {
      closing ??= app.close()
      return closing
    }
  }
}
