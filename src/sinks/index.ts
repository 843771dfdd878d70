// Where entity documents and rejected records go: Elasticsearch and a Kafka
// dead-letter topic in production, JSONL files for the embedded default, memory
// for callers that read the results back (eval).
export { documentBrand, documentId, toEntityDocuments } from './documents.js'
export { ENTITY_TEMPLATE_VERSION, entityIndexMappings, entityIndexTemplate } from './index-template.js'
export { ElasticsearchSink } from './elasticsearch.js'
export type { ElasticsearchSinkOptions } from './elasticsearch.js'
export { JsonlSink, JsonlDeadLetterSink } from './jsonl.js'
export { InMemorySink, InMemoryDeadLetterSink } from './memory.js'
export type { CollectedPost, InMemorySinkOptions } from './memory.js'
export { KafkaDeadLetterSink, DEAD_LETTER_HEADERS } from './kafka-dead-letters.js'
