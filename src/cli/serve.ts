// `groundstream serve`: the search/tracking API and the viewer page over the
// entity index. Reads the service's config file (--config or GS_CONFIG), then
// GS_API_* and GS_ELASTICSEARCH_* (see docs/users.md); flags override them. SIGTERM/SIGINT close the server (in-flight requests
// finish), then the Elasticsearch client.
import type { Logger } from 'pino'
import { GroundstreamError } from '../errors/index.js'
import { loadApiConfig, loadReport, startApi, type ApiStore } from '../service/index.js'
import { intFlag, parseFlags } from './args.js'
import { createLogger, resolveLogFormat } from './log.js'
import { hintFor, installPath, usageError, type HintContext } from './common.js'

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
  const file = flags.from
  if (file !== undefined && (flags.demo === true || flags.index !== undefined || flags.elasticsearch !== undefined)) {
    throw usageError('--from serves a file; it cannot be combined with --demo, --index or --elasticsearch')
  }
  const demo = flags.demo === true
  const sampleImages = installPath('samples', 'images')
  const index = flags.index ?? (demo ? 'groundstream-demo' : undefined)
  // The demo's images are the bundled sample images.
  const mediaDir = demo ? sampleImages : flags['media-dir']
  const loaded = loadApiConfig({
    env: process.env,
    ...(flags.config === undefined ? {} : { file: flags.config }),
    overrides: {
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(port === undefined ? {} : { port }),
      ...(mediaDir === undefined ? {} : { mediaDir }),
      ...(file === undefined
        ? { elasticsearch: { ...(flags.elasticsearch === undefined ? {} : { url: flags.elasticsearch }), ...(index === undefined ? {} : { index }) } }
        : {})
    }
  })
  // A file's bundled-sample image URLs are served from the installation unless another media folder is set.
  const config = file === undefined ? loaded : { ...loaded, mediaDir: loaded.mediaDir ?? sampleImages }
  const logger = createLogger(config.log.level, logFormat)
  const store: ApiStore = file === undefined ? { kind: 'elasticsearch', demo } : { kind: 'file', file, sampleImages }
  const api = await startApi(config, store, logger)
  const url = api.server.url
  if (api.loaded !== null && file !== undefined) {
    process.stderr.write(`groundstream serve: ${loadReport(file, api.loaded)}\n`)
    logger.info({ url, file }, 'search API and viewer listening')
    process.stderr.write(`groundstream serve: open ${url}/\n`)
  } else {
    logger.info({ url, index: config.elasticsearch.index }, 'search API and viewer listening')
    if (!demo) {
      const probe = await fetch(`${url}/readyz`).then(async (r) => await r.json() as { elasticsearch?: boolean }).catch(() => ({ elasticsearch: false }))
      if (probe.elasticsearch !== true) {
        logger.warn({ elasticsearch: config.elasticsearch.url, hint: hintFor(new GroundstreamError('GS_ERR_SEARCH', 'unreachable')) }, 'Elasticsearch does not answer yet; /readyz says 503 until it does')
      }
    }
  }
  await untilSignal(logger)
  await api.close()
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
