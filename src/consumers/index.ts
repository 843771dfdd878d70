// Where posts come from: a Kafka consumer group, or a JSONL file for the
// embedded default; both validate records at the edge.
export { decodeRecord, newPostWork } from './decode.js'
export type { DecodeResult } from './decode.js'
export { KafkaSource, connectKafkaClients } from './kafka-source.js'
export type { ConsumerEvents, KafkaSourceOptions } from './kafka-source.js'
export { runJsonlSource, countJsonlLines } from './jsonl-source.js'
export type { JsonlSourceOptions, JsonlSourceResult } from './jsonl-source.js'
