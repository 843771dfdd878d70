// Name -> factory for every knowledge source, frozen: adding a source is a
// file plus an entry here (and its name in KNOWLEDGE_SOURCE_NAMES).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GroundstreamError } from '../../errors/index.js'
import type { KnowledgeConfig, KnowledgeSourceName } from '../config.js'
import type { KnowledgeInstrumentation } from '../instrumentation.js'
import type { Clock } from '../../shared/index.js'
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

/**
 * data/catalogue/brands.jsonl at the package root: the nearest folder above
 * this file with a package.json (it runs from dist/src/knowledge-cache/sources/
 * when built, from src/knowledge-cache/sources/ when the tests run the sources).
 */
export const SHIPPED_CATALOGUE_PATH = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'data', 'catalogue', 'brands.jsonl')

function packageRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new GroundstreamError('GS_ERR_CONFIG', `package root not found: no package.json above ${from}`)
  }
}

const SOURCE_FACTORIES: Readonly<Record<KnowledgeSourceName, SourceFactory>> = Object.freeze({
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
