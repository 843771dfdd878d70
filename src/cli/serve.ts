// `groundstream serve`: the search/tracking API and the viewer page over the
// entity index. Reads GS_API_* and GS_ELASTICSEARCH_* (see docs/users.md);
// flags override them. SIGTERM/SIGINT close the server (in-flight requests
// finish), then the Elasticsearch client.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { apiConfigFromEnv, createApiServer, parseApiConfig } from '../api/index.js'
import { loadDemoIndex, writeDemoImages } from '../api/demo.js'
import { GroundstreamError } from '../errors/index.js'
import { intFlag, parseFlags } from './common.js'

export const USAGE = `usage: groundstream serve [--host HOST] [--port N] [--elasticsearch URL] [--index NAME]
                         [--media-dir DIR] [--demo]

Serves the search/tracking API (/api/v1/..., OpenAPI at /openapi.yaml), the
viewer page (/), /healthz, /readyz and /metrics. Environment: GS_API_HOST,
GS_API_PORT, GS_ELASTICSEARCH_URL, GS_ELASTICSEARCH_INDEX,
GS_ELASTICSEARCH_API_KEY, GS_ELASTICSEARCH_CA_FILE, GS_API_MEDIA_DIR.

--demo fills the index groundstream-demo (or --index) with demo posts dated
the last two hours, and serves their images, to try the viewer and API
without a running pipeline. It never touches GS_ELASTICSEARCH_INDEX.
`

/** The repository (or image) root: dist/src/cli/serve.js is three levels down. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export async function main (argv: string[]): Promise<number> {
  const flags = parseFlags(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    elasticsearch: { type: 'string' },
    index: { type: 'string' },
    'media-dir': { type: 'string' },
    demo: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  })
  const port = intFlag('port', flags.port, 0, 65535)
  if (flags.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  const demo = flags.demo === true
  const demoImages = demo ? await writeDemoImages() : null
  const fromEnv = apiConfigFromEnv(process.env) as { elasticsearch?: Record<string, unknown> } & Record<string, unknown>
  const index = flags.index ?? (demo ? 'groundstream-demo' : undefined)
  const mediaDir = demoImages?.dir ?? flags['media-dir']
  const config = parseApiConfig({
    ...fromEnv,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(port === undefined ? {} : { port }),
    ...(mediaDir === undefined ? {} : { mediaDir }),
    elasticsearch: {
      ...(fromEnv.elasticsearch ?? {}),
      ...(flags.elasticsearch === undefined ? {} : { url: flags.elasticsearch }),
      ...(index === undefined ? {} : { index })
    }
  })
  const logger = pino({ level: config.log.level }, pino.destination(2))
  let ca: Buffer | undefined
  if (config.elasticsearch.caFile !== undefined) {
    try {
      ca = readFileSync(config.elasticsearch.caFile)
    } catch (error) {
      throw new GroundstreamError('GS_ERR_CONFIG', `cannot read Elasticsearch CA file ${config.elasticsearch.caFile}`, { cause: error })
    }
  }
  const client = new Client({
    node: config.elasticsearch.url,
    ...(config.elasticsearch.apiKey === undefined ? {} : { auth: { apiKey: config.elasticsearch.apiKey } }),
    ...(ca === undefined ? {} : { tls: { ca } }),
    requestTimeout: config.limits.requestTimeoutMs,
    maxRetries: 0
  })
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'groundstream_api_' })
  if (demo) {
    // Relative image URLs: the page resolves them against whatever host serves it.
    const docs = await loadDemoIndex(client, config.elasticsearch.index, '/media', new Date())
    logger.info({ index: config.elasticsearch.index, documents: docs.length }, 'demo documents indexed')
  }
  const server = await createApiServer(config, { client, registry, logger: logger.child({ module: 'api' }), root: ROOT })
  logger.info({ url: server.url, index: config.elasticsearch.index }, 'search API and viewer listening')

  await new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down')
      resolveStop()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
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
  demoImages?.remove()
  return 0
}
