// The knowledge cache's public face: the only module imported from outside
// src/knowledge-cache.
export {
  KNOWLEDGE_SOURCE_NAMES,
  KnowledgeConfigSchema,
  WikipediaConfigSchema,
  parseKnowledgeConfig
} from './config.js'
export type { KnowledgeConfig, KnowledgeConfigInput, KnowledgeSourceName, WikipediaConfig } from './config.js'
