// Starts the real API server over the fixture documents, on either backend:
// a fixture index in the real Elasticsearch (ELASTICSEARCH_URL, from
// scripts/services.sh env; without it those tests skip locally and fail under
// CI), or the embedded SQLite store loaded from a JSONL file as
// `serve --from` does. The same tests run against both.
import { afterAll, beforeAll, type TestContext } from 'vitest'
import { Client } from '@elastic/elasticsearch'
import { Registry } from 'prom-client'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EmbeddedSearch, createApiServer, parseApiConfig, type ApiConfigInput, type ApiServer } from '../../src/api/index.js'
import type { EntityDocument } from '../../src/contracts/index.js'
import { ROOT } from '../deploy/helpers.js'
import { needService } from '../support/skip.js'
import { T0, createFixtureIndex, dropFixtureIndex, elasticsearchUrl, fixtureDocuments, writeFixtureImages } from './fixtures.js'

export type BackendName = 'elasticsearch' | 'embedded'

export interface Harness {
  backend: BackendName
  server: ApiServer
  client: Client | null
  index: string
  docs: EntityDocument[]
  registry: Registry
  get (path: string): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }>
  close (): Promise<void>
}

/** The Elasticsearch URL; without one the test skips locally and fails under CI (test/support/skip.ts's needService). */
export function requireElasticsearch (t: TestContext): string | null {
  const url = elasticsearchUrl()
  needService(t, url === null ? 'ELASTICSEARCH_URL not set (eval "$(scripts/services.sh env)" after scripts/services.sh start elasticsearch)' : false)
  return url
}

/** `docsOf` replaces the fixture's documents (given the media base URL), as EmbeddedData.docs does for the embedded store. */
export async function startHarness (url: string, overrides: ApiConfigInput = {}, docsOf: (mediaBaseUrl: string) => EntityDocument[] = fixtureDocuments): Promise<Harness> {
  const client = new Client({ node: url, requestTimeout: 30_000 })
  const index = `gs-api-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`
  const media = await writeFixtureImages()
  const registry = new Registry()
  const config = parseApiConfig({
    host: '127.0.0.1',
    port: 0,
    ...overrides,
    elasticsearch: { url, index, ...(overrides.elasticsearch ?? {}) },
    mediaDir: media.dir
  })
  const server = await createApiServer(config, { client, registry, root: ROOT, now: () => T0 })
  let docs: EntityDocument[]
  try {
    docs = await createFixtureIndex(client, index, `${server.url}/media`, docsOf)
  } catch (error) {
    await server.close()
    await dropFixtureIndex(client, index)
    await client.close()
    media.remove()
    throw error
  }
  return {
    backend: 'elasticsearch',
    server,
    client,
    index,
    docs,
    registry,
    get: getter(server),
    async close () {
      await server.close()
      await dropFixtureIndex(client, index)
      await client.close()
      media.remove()
    }
  }
}

function getter (server: ApiServer): Harness['get'] {
  return async (path) => {
    const response = await fetch(`${server.url}${path}`)
    const text = await response.text()
    let body: Record<string, unknown>
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      body = { text }
    }
    return { status: response.status, body, headers: response.headers }
  }
}

/** The same fixture, written to a JSONL file and served by the embedded store (`serve --from`). */
export interface EmbeddedData {
  /** The documents, given the media base URL (default: the fixture). */
  docs: (mediaBaseUrl: string) => EntityDocument[]
  /** Folder served under /media (default: the drawn fixture images). */
  mediaDir: string
  now: Date
}

export async function startEmbeddedHarness (overrides: ApiConfigInput = {}, data?: EmbeddedData): Promise<Harness> {
  const media = await writeFixtureImages()
  const registry = new Registry()
  const now = data?.now ?? T0
  const config = parseApiConfig({ host: '127.0.0.1', port: 0, ...overrides, mediaDir: data?.mediaDir ?? media.dir })
  const search = await EmbeddedSearch.open({ limits: config.limits, now: () => now })
  const server = await createApiServer(config, { search, registry, root: ROOT, now: () => now })
  const docs = (data?.docs ?? fixtureDocuments)(`${server.url}/media`)
  const file = join(media.dir, 'entities.jsonl')
  writeFileSync(file, docs.map((doc) => JSON.stringify(doc)).join('\n') + '\n')
  const loaded = await search.loadFile(file)
  if (loaded.documents !== docs.length) throw new Error(`loaded ${loaded.documents} of ${docs.length} fixture documents`)
  return {
    backend: 'embedded',
    server,
    client: null,
    index: 'embedded',
    docs,
    registry,
    get: getter(server),
    async close () {
      await server.close()
      await search.close()
      media.remove()
    }
  }
}

/**
 * A harness on `backend` for the enclosing describe block (or file): started
 * before its tests, closed after. The returned `need(t)` gives it, or (on
 * Elasticsearch without ELASTICSEARCH_URL) skips locally and fails under CI.
 */
export function backendHarness (backend: BackendName, data?: EmbeddedData): (t: TestContext) => Harness | null {
  let harness: Harness | null = null
  beforeAll(async () => {
    if (backend === 'embedded') harness = await startEmbeddedHarness({}, data)
    else {
      const url = elasticsearchUrl()
      if (url !== null) harness = await startHarness(url, {}, data?.docs)
    }
  })
  afterAll(async () => {
    await harness?.close()
  })
  return (t) => {
    if (harness !== null) return harness
    requireElasticsearch(t)
    return null
  }
}
