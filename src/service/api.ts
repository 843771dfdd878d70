// `serve`'s composition root: the API server and viewer over one entity store,
// Elasticsearch (the cluster, optionally filled with the demo posts) or a
// JSONL file of entity documents in the embedded SQLite store. Both get the
// same config, metrics registry and shutdown order: the HTTP server first (in
// flight requests finish), then the store.
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { DEMO_POSTS, EmbeddedSearch, createApiServer, demoDocuments, loadDemoIndex, type ApiConfig, type ApiServer, type ApiServerDeps, type LoadResult } from '../api/index.js'
import { GroundstreamError } from '../errors/index.js'
import { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX } from '../shared/index.js'
import { createElasticsearchClient } from './clients.js'

/** Where the API's answers come from. */
export type ApiStore =
  | { kind: 'elasticsearch', demo: boolean }
  /** `sampleImages`: the folder the bundled samples' image URLs are served from, when config.mediaDir is it. */
  | { kind: 'file', file: string, sampleImages: string }

export interface StartedApi {
  readonly server: ApiServer
  /** For a file store: what loading the file kept and skipped. */
  readonly loaded: LoadResult | null
  /** For the demo: the documents indexed. */
  readonly demoDocuments: number
  /** Closes the server, then the store; every failure is logged, none thrown. */
  close (): Promise<void>
}

export async function startApi (config: Readonly<ApiConfig>, store: ApiStore, logger: Logger): Promise<StartedApi> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: config.metrics.prefix })
  const closers: Array<{ what: string, close: () => Promise<void> }> = []
  let deps: Omit<ApiServerDeps, 'registry'>
  let loaded: LoadResult | null = null
  let demoCount = 0
  if (store.kind === 'file') {
    let newest = Number.NaN
    // The file's own clock: a minute after its newest post, so "the last hour" is the file's last hour.
    const search = await EmbeddedSearch.open({ limits: config.limits, now: () => new Date(Number.isFinite(newest) ? newest : Date.now()) })
    closers.push({ what: 'the embedded store', close: async () => { await search.close() } })
    const media = config.mediaDir === store.sampleImages
    loaded = await search.loadFile(store.file, (url) => (media && url.startsWith(SAMPLE_IMAGES_PREFIX) ? `/media/${url.slice(SAMPLE_IMAGES_PREFIX.length)}` : url))
    const extent = await search.extent()
    if (extent.last !== null) newest = Date.parse(extent.last) + 60_000
    logger.info({ file: store.file, lines: loaded.lines, documents: loaded.documents, skipped: loaded.skipped, reasons: loaded.reasons, first: extent.first, last: extent.last }, 'entity documents loaded')
    if (loaded.documents === 0) {
      await search.close()
      throw new GroundstreamError('GS_ERR_USAGE', `${loadReport(store.file, loaded)}; it holds no entity documents, so there is nothing to serve (give it what groundstream run writes, e.g. out/entities.jsonl)`)
    }
    deps = { search }
  } else {
    const client = createElasticsearchClient({
      url: config.elasticsearch.url,
      apiKey: config.elasticsearch.apiKey,
      caFile: config.elasticsearch.caFile,
      requestTimeoutMs: config.limits.requestTimeoutMs
    })
    closers.push({ what: 'the Elasticsearch client', close: async () => { await client.close() } })
    if (store.demo) {
      // Relative image URLs: the page resolves them against whatever host serves it.
      demoCount = (await loadDemoIndex(client, config.elasticsearch.index, demoDocuments(DEMO_POSTS, '/media', new Date()))).length
      logger.info({ index: config.elasticsearch.index, documents: demoCount }, 'demo documents indexed')
    }
    deps = { client }
  }
  const closeStores = async (): Promise<void> => {
    for (const { what, close } of closers.splice(0).reverse()) {
      try {
        await close()
      } catch (error) {
        logger.error({ err: error }, `closing ${what} failed`)
      }
    }
  }
  let server: ApiServer
  try {
    server = await createApiServer(config, { ...deps, registry, logger: logger.child({ module: 'api' }), root: INSTALL_ROOT })
  } catch (error) {
    await closeStores()
    throw error
  }
  return {
    server,
    loaded,
    demoDocuments: demoCount,
    async close () {
      try {
        await server.close()
      } catch (error) {
        logger.error({ err: error }, 'closing the HTTP server failed')
      }
      await closeStores()
    }
  }
}

/** "read 3 lines of F: kept 2 entity documents, skipped 1 (line 2: not JSON)". */
export function loadReport (file: string, loaded: LoadResult): string {
  const first = loaded.firstSkipped.map(({ line, reason }) => `line ${line}: ${reason}`).join('; ')
  const skipped = loaded.skipped === 0 ? 'skipped none' : `skipped ${loaded.skipped} (${first}${loaded.skipped > loaded.firstSkipped.length ? '; ...' : ''})`
  return `read ${loaded.lines} line${loaded.lines === 1 ? '' : 's'} of ${file}: kept ${loaded.documents} entity document${loaded.documents === 1 ? '' : 's'}, ${skipped}`
}
