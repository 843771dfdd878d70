// The knowledge cache's public face: the only module imported from outside
// src/knowledge-cache.
export {
  KnowledgeConfigSchema,
  WikipediaConfigSchema,
  parseKnowledgeConfig
} from './config.js'
export type { KnowledgeConfig, WikipediaConfig } from './config.js'
export { createKnowledgeCache } from './cache.js'
export type { LookupOptions, RedisLike } from './cache.js'
export { createKnowledgeStage } from './stage.js'
export { AliasTable, cacheKeyFor } from './keys.js'
export { ByteLru, systemClock } from '../shared/index.js'
export type { Clock } from '../shared/index.js'
export { approximateTokenCounter, loadTokenCounter, trimToBudget } from './budget.js'
export { createKnowledgeRedis } from './redis.js'
export { registerKnowledgeMetrics } from './metrics.js'
export type * from './instrumentation.js'
export { createSources } from './sources/registry.js'
export { createCatalogueSource, parseCatalogue, userCatalogueNames, CatalogueEntrySchema } from './sources/catalogue.js'
export { parseCatalogueCsv, CSV_LIST_SEPARATOR } from './sources/catalogue-csv.js'
export { createCitiesSource } from './sources/cities.js'
export { createCountriesSource } from './sources/countries.js'
export { createWordnetSource } from './sources/wordnet.js'
export { createWikipediaSource } from './sources/wikipedia.js'
export type { KnowledgeSource, SourceAnswer, SourceQuery } from './sources/types.js'
export { linkOptionFromKnowledge, typeFromDescription } from './link-options.js'
export { SHIPPED_CATALOGUE_PATH } from './sources/registry.js'
