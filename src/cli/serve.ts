// `groundstream serve`: the search/tracking API and the viewer page over the
// entity index. Reads the service's config file (--config or GS_CONFIG), then
// GS_API_* and GS_ELASTICSEARCH_* (see docs/users.md); flags override them. SIGTERM/SIGINT close the server (in-flight requests
// finish), then the Elasticsearch client.
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { DEMO_POSTS, EmbeddedSearch, createApiServer, demoDocuments, loadDemoIndex, type LoadResult } from '../api/index.js'
import { GroundstreamError } from '../errors/index.js'
import { createElasticsearchClient, loadApiConfig } from '../service/index.js'
import { intFlag, parseFlags } from './args.js'
import { createLogger, resolveLogFormat, type LogFormat } from './log.js'
import { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX, hintFor, installPath, usageError, type HintContext } from './common.js'

export const USAGE = `usage: groundstream serve [--config FILE] [--host HOST] [--port N] [--elasticsearch URL]
                         [--index NAME] [--media-dir DIR] [--demo] [--log-format pretty|json]
       groundstream serve --from FILE [--config FILE] [--host HOST] [--port N] [--media-dir DIR]

--config FILE (or GS_CONFIG) is the same JSON file \`groundstream run\` reads:
serve takes its elasticsearch url, index, apiKey and caFile, and its log
level; the variables below and the flags override them.

--from FILE serves the entity documents of a JSONL file (what
\`groundstream run\` writes, e.g. out/entities.jsonl) from an embedded
in-memory SQLite store: the same API and viewer, no cluster. Its clock is
anchored just after the newest post in the file, so "the last hour" means the
file's last hour. The bundled samples' images are served under /media/.

Serves the search/tracking API (/api/v1/..., OpenAPI at /openapi.yaml), the
viewer page (/), /healthz, /readyz and /metrics. Environment: GS_API_HOST,
GS_API_PORT, GS_ELASTICSEARCH_URL, GS_ELASTICSEARCH_INDEX,
GS_ELASTICSEARCH_API_KEY, GS_ELASTICSEARCH_CA_FILE, GS_API_MEDIA_DIR.

--demo fills the index groundstream-demo (or --index) with demo posts dated
the last two hours, and serves their images, to try the viewer and API
without a running pipeline. It never touches GS_ELASTICSEARCH_INDEX.

--log-format pretty|json: the logs on stderr as readable lines or JSON;
default GS_LOG_FORMAT, else pretty when stderr is a terminal.
`

/** Where serve's settings come from, for the hint of a failure (main.ts passes it to reportFailure). */
export const HINTS: HintContext = Object.freeze({ portSetting: '--port (0 picks a free one), GS_API_PORT or port in the config file' })

/** The flags serve takes (its USAGE lists each one). */
export const FLAGS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  elasticsearch: { type: 'string' },
  index: { type: 'string' },
  'media-dir': { type: 'string' },
  demo: { type: 'boolean' },
  from: { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const


export async function main (argv: string[]): Promise<number> {
  const flags = parseFlags(argv, FLAGS)
  const port = intFlag('port', flags.port, 0, 65535)
  const logFormat = resolveLogFormat(flags['log-format'], process.env, process.stderr.isTTY === true)
  if (flags.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  if (flags.from !== undefined) {
    if (flags.demo === true || flags.index !== undefined || flags.elasticsearch !== undefined) {
      throw usageError('--from serves a file; it cannot be combined with --demo, --index or --elasticsearch')
    }
    return await serveFile(flags.from, { config: flags.config, host: flags.host, port, mediaDir: flags['media-dir'], logFormat })
  }
  const demo = flags.demo === true
  const index = flags.index ?? (demo ? 'groundstream-demo' : undefined)
  // The demo's images are the bundled sample images.
  const mediaDir = demo ? installPath('samples', 'images') : flags['media-dir']
  const config = loadApiConfig({
    env: process.env,
    ...(flags.config === undefined ? {} : { file: flags.config }),
    overrides: {
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(port === undefined ? {} : { port }),
      ...(mediaDir === undefined ? {} : { mediaDir }),
      elasticsearch: {
        ...(flags.elasticsearch === undefined ? {} : { url: flags.elasticsearch }),
        ...(index === undefined ? {} : { index })
      }
    }
  })
  const logger = createLogger(config.log.level, logFormat)
  const client = createElasticsearchClient({
    url: config.elasticsearch.url,
    apiKey: config.elasticsearch.apiKey,
    caFile: config.elasticsearch.caFile,
    requestTimeoutMs: config.limits.requestTimeoutMs
  })
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: config.metrics.prefix })
  if (demo) {
    // Relative image URLs: the page resolves them against whatever host serves it.
    const docs = await loadDemoIndex(client, config.elasticsearch.index, demoDocuments(DEMO_POSTS, '/media', new Date()))
    logger.info({ index: config.elasticsearch.index, documents: docs.length }, 'demo documents indexed')
  }
  const server = await createApiServer(config, { client, registry, logger: logger.child({ module: 'api' }), root: INSTALL_ROOT })
  logger.info({ url: server.url, index: config.elasticsearch.index }, 'search API and viewer listening')
  if (!demo) {
    const probe = await fetch(`${server.url}/readyz`).then(async (r) => await r.json() as { elasticsearch?: boolean }).catch(() => ({ elasticsearch: false }))
    if (probe.elasticsearch !== true) {
      logger.warn({ elasticsearch: config.elasticsearch.url, hint: hintFor(new GroundstreamError('GS_ERR_SEARCH', 'unreachable')) }, 'Elasticsearch does not answer yet; /readyz says 503 until it does')
    }
  }

  await untilSignal(logger)
  try {
    await server.close()
  } catch (error) {
    logger.error({ err: error }, 'closing the HTTP server failed')
  }
  try {
    await client.close()
  } catch (error) {
    logger.error({ err: error }, 'closing the Elasticsearch client failed')
  }
  return 0
}

/** Resolves on SIGTERM/SIGINT. */
async function untilSignal (logger: Logger): Promise<void> {
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down')
      resolveStop()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
}

/** "read 3 lines of F: kept 2 entity documents, skipped 1 (line 2: not JSON)". */
function loadReport (file: string, loaded: LoadResult): string {
  const first = loaded.firstSkipped.map(({ line, reason }) => `line ${line}: ${reason}`).join('; ')
  const skipped = loaded.skipped === 0 ? 'skipped none' : `skipped ${loaded.skipped} (${first}${loaded.skipped > loaded.firstSkipped.length ? '; ...' : ''})`
  return `read ${loaded.lines} line${loaded.lines === 1 ? '' : 's'} of ${file}: kept ${loaded.documents} entity document${loaded.documents === 1 ? '' : 's'}, ${skipped}`
}

/** `serve --from FILE`: the API and viewer over a JSONL file of entity documents, no cluster. */
async function serveFile (file: string, flags: { config: string | undefined, host: string | undefined, port: number | undefined, mediaDir: string | undefined, logFormat: LogFormat }): Promise<number> {
  const sampleImages = installPath('samples', 'images')
  const fromConfig = loadApiConfig({
    env: process.env,
    ...(flags.config === undefined ? {} : { file: flags.config }),
    overrides: {
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(flags.port === undefined ? {} : { port: flags.port }),
      ...(flags.mediaDir === undefined ? {} : { mediaDir: flags.mediaDir })
    }
  })
  const config = { ...fromConfig, mediaDir: fromConfig.mediaDir ?? sampleImages }
  const logger = createLogger(config.log.level, flags.logFormat)
  let newest = Number.NaN
  const search = await EmbeddedSearch.open({ limits: config.limits, now: () => new Date(Number.isFinite(newest) ? newest : Date.now()) })
  const loaded = await search.loadFile(file, (url) => (url.startsWith(SAMPLE_IMAGES_PREFIX) && config.mediaDir === sampleImages ? `/media/${url.slice(SAMPLE_IMAGES_PREFIX.length)}` : url))
  const extent = await search.extent()
  // The file's own "now": a minute after its newest post.
  if (extent.last !== null) newest = Date.parse(extent.last) + 60_000
  logger.info({ file, lines: loaded.lines, documents: loaded.documents, skipped: loaded.skipped, reasons: loaded.reasons, first: extent.first, last: extent.last }, 'entity documents loaded')
  const report = loadReport(file, loaded)
  if (loaded.documents === 0) {
    await search.close()
    throw usageError(`${report}; it holds no entity documents, so there is nothing to serve (give it what groundstream run writes, e.g. out/entities.jsonl)`)
  }
  process.stderr.write(`groundstream serve: ${report}\n`)
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: config.metrics.prefix })
  const server = await createApiServer(config, { search, registry, logger: logger.child({ module: 'api' }), root: INSTALL_ROOT })
  logger.info({ url: server.url, file }, 'search API and viewer listening')
  process.stderr.write(`groundstream serve: open ${server.url}/\n`)
  await untilSignal(logger)
  try {
    await server.close()
  } catch (error) {
    logger.error({ err: error }, 'closing the HTTP server failed')
  }
  await search.close()
  return 0
}
