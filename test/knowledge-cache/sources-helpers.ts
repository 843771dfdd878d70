import { createCatalogueSource } from '../../src/knowledge-cache/index.js'
import type { KnowledgeSource } from '../../src/knowledge-cache/index.js'

export { createCitiesSource, createCountriesSource, createWordnetSource, parseCatalogue } from '../../src/knowledge-cache/index.js'

export const EXAMPLE_CATALOGUE = new URL('../../../data/catalogue.example.jsonl', import.meta.url)

export function createCataloguesFromExample (): KnowledgeSource {
  return createCatalogueSource({ path: EXAMPLE_CATALOGUE.pathname })
}
