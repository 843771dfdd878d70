// The API and viewer tests' fixture: the demo data of src/api/demo.ts with
// its posts placed before a fixed instant T0, in a fresh test index.
import type { Client } from '@elastic/elasticsearch'
import { DEMO_POSTS, demoDocuments, dropDemoIndex, loadDemoIndex, writeDemoImages } from '../../src/api/demo.js'
import type { EntityDocument } from '../../src/contracts/index.js'

/** All fixture posts lie in the two hours before this instant. */
export const T0 = new Date('2026-01-10T12:00:00.000Z')

export const FIXTURE_POSTS = DEMO_POSTS

export function fixtureDocuments (mediaBaseUrl: string): EntityDocument[] {
  return demoDocuments(mediaBaseUrl, T0)
}

export function elasticsearchUrl (): string | null {
  return process.env.ELASTICSEARCH_URL ?? process.env.GS_ELASTICSEARCH_URL ?? null
}

export async function createFixtureIndex (client: Client, index: string, mediaBaseUrl: string): Promise<EntityDocument[]> {
  return await loadDemoIndex(client, index, mediaBaseUrl, T0)
}

export const dropFixtureIndex = dropDemoIndex
export const writeFixtureImages = writeDemoImages
