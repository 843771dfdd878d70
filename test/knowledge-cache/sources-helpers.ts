import { createCatalogueSource } from '../../src/knowledge-cache/index.js'
import type { KnowledgeSource } from '../../src/knowledge-cache/index.js'
import { pathToFileURL } from 'node:url'
import { repoPath } from '../support/paths.js'

export { createCitiesSource, createCountriesSource, createWordnetSource, parseCatalogue } from '../../src/knowledge-cache/index.js'

export const EXAMPLE_CATALOGUE = pathToFileURL(repoPath('data/catalogue.example.jsonl'))

export function createCataloguesFromExample (): KnowledgeSource {
  return createCatalogueSource({ path: EXAMPLE_CATALOGUE.pathname })
}
