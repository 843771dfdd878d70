// Where posts come from: a Kafka consumer group, a JSONL file for the
// embedded default, or an in-memory list (eval); all validate posts at the edge.
export { decodeRecord, newPostWork } from './decode.js'
export type { DecodeResult } from './decode.js'
export { KafkaSource, connectKafkaClients } from './kafka-source.js'
export type { ConsumerEvents, KafkaSourceOptions } from './kafka-source.js'
export { runJsonlSource, countJsonlLines } from './jsonl-source.js'
export type { JsonlSourceOptions, JsonlSourceResult } from './jsonl-source.js'
export { inMemoryCoordinates, runInMemorySource } from './memory-source.js'
export type { InMemorySourceOptions, InMemorySourceResult } from './memory-source.js'
