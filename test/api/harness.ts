// Starts the real API server over a fixture index in the real Elasticsearch
// (ELASTICSEARCH_URL, from scripts/services.sh env). Without it the tests skip
// locally and fail under CI.
import type { TestContext } from 'node:test'
import { Client } from '@elastic/elasticsearch'
import { Registry } from 'prom-client'
import { createApiServer, parseApiConfig, type ApiConfigInput, type ApiServer } from '../../src/api/index.js'
import type { EntityDocument } from '../../src/contracts/index.js'
import { ROOT } from '../deploy/helpers.js'
import { T0, createFixtureIndex, dropFixtureIndex, elasticsearchUrl, writeFixtureImages } from './fixtures.js'

export interface Harness {
  server: ApiServer
  client: Client
  index: string
  docs: EntityDocument[]
  registry: Registry
  get (path: string): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }>
  close (): Promise<void>
}

export function requireElasticsearch (t: TestContext): string | null {
  const url = elasticsearchUrl()
  if (url !== null) return url
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error('ELASTICSEARCH_URL is not set under CI: start scripts/services.sh and export its env')
  t.skip('ELASTICSEARCH_URL not set (eval "$(scripts/services.sh env)" after scripts/services.sh start elasticsearch)')
  return null
}

export async function startHarness (url: string, overrides: ApiConfigInput = {}): Promise<Harness> {
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
    docs = await createFixtureIndex(client, index, `${server.url}/media`)
  } catch (error) {
    await server.close()
    await dropFixtureIndex(client, index)
    await client.close()
    media.remove()
    throw error
  }
  return {
    server,
    client,
    index,
    docs,
    registry,
    async get (path) {
      const response = await fetch(`${server.url}${path}`)
      const text = await response.text()
      let body: Record<string, unknown>
      try {
        body = JSON.parse(text) as Record<string, unknown>
      } catch {
        body = { text }
      }
      return { status: response.status, body, headers: response.headers }
    },
    async close () {
      await server.close()
      await dropFixtureIndex(client, index)
      await client.close()
      media.remove()
    }
  }
}
