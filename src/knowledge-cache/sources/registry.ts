// Name -> factory for every knowledge source, frozen: adding a source is a
// file plus an entry here (and its name in KNOWLEDGE_SOURCE_NAMES).
import { fileURLToPath } from 'node:url'
import type { KnowledgeConfig, KnowledgeSourceName } from '../config.js'
import type { KnowledgeInstrumentation } from '../instrumentation.js'
import type { Clock } from '../lru.js'
import { createCatalogueSource } from './catalogue.js'
import { createCitiesSource } from './cities.js'
import { createCountriesSource } from './countries.js'
import type { KnowledgeSource } from './types.js'
import { createWikipediaSource } from './wikipedia.js'
import { createWordnetSource } from './wordnet.js'

export interface SourceFactoryDeps {
  clock?: Clock
  instrumentation?: KnowledgeInstrumentation
}

type SourceFactory = (config: KnowledgeConfig, deps: SourceFactoryDeps) => KnowledgeSource

/** data/catalogue/brands.jsonl at the package root (this file runs from dist/src/knowledge-cache/sources/). */
export const SHIPPED_CATALOGUE_PATH = fileURLToPath(new URL('../../../../data/catalogue/brands.jsonl', import.meta.url))

export const SOURCE_FACTORIES: Readonly<Record<KnowledgeSourceName, SourceFactory>> = Object.freeze({
  catalogue: (config) => createCatalogueSource({
    ...(config.cataloguePath === undefined ? {} : { path: config.cataloguePath }),
    ...(config.shippedCatalogue ? { shippedPath: SHIPPED_CATALOGUE_PATH } : {})
  }),
  countries: () => createCountriesSource(),
  cities: (config) => createCitiesSource({ minPopulation: config.citiesMinPopulation }),
  wordnet: () => createWordnetSource(),
  wikipedia: (config, deps) => createWikipediaSource(config.wikipedia, deps)
})

/** The configured sources, in the configured order. */
export function createSources (config: KnowledgeConfig, deps: SourceFactoryDeps = {}): KnowledgeSource[] {
  return config.sources.map((name) => SOURCE_FACTORIES[name](config, deps))
}
