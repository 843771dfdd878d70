// The knowledge cache's public face: the only module imported from outside
// src/knowledge-cache.
export {
  KNOWLEDGE_SOURCE_NAMES,
  KnowledgeConfigSchema,
  WikipediaConfigSchema,
  parseKnowledgeConfig
} from './config.js'
export type { KnowledgeConfig, KnowledgeConfigInput, KnowledgeSourceName, WikipediaConfig } from './config.js'
export { createKnowledgeCache } from './cache.js'
export type { CachedKnowledge, KnowledgeCache, KnowledgeCacheDeps, KnowledgeCacheStats, KnowledgeLogger, LookupOptions, RedisLike } from './cache.js'
export { createKnowledgeStage } from './stage.js'
export type { KnowledgeStageDeps } from './stage.js'
export { AliasTable, cacheKeyFor, entityVariants, normaliseEntity, normaliseEntityKey } from './keys.js'
export type { AliasEntry, NormalisedEntity } from './keys.js'
export { ByteLru, systemClock } from './lru.js'
export type { Clock } from './lru.js'
export { approximateTokenCounter, loadTokenCounter, trimToBudget } from './budget.js'
export type { TokenCounter } from './budget.js'
export { createKnowledgeRedis } from './redis.js'
export { registerKnowledgeMetrics } from './metrics.js'
export type * from './instrumentation.js'
export { createSources, SOURCE_FACTORIES } from './sources/registry.js'
export { createCatalogueSource, parseCatalogue, CatalogueEntrySchema } from './sources/catalogue.js'
export type { CatalogueEntry, CatalogueEntryInput } from './sources/catalogue.js'
export { createCitiesSource } from './sources/cities.js'
export { createCountriesSource } from './sources/countries.js'
export { createWordnetSource } from './sources/wordnet.js'
export { createWikipediaSource, wikipediaTitle } from './sources/wikipedia.js'
export type { WikipediaSource } from './sources/wikipedia.js'
export type { AliasGroup, KnowledgeSource, LinkQuery, SourceAnswer, SourceQuery } from './sources/types.js'
export { linkOptionFromKnowledge, typeFromDescription } from './link-options.js'
export { squashName } from './sources/catalogue.js'
export { SHIPPED_CATALOGUE_PATH } from './sources/registry.js'
