// The adversarial review's long posts through Kafka into the real
// Elasticsearch: 4 posts of 20,000 characters among 20 ordinary ones, plus a
// record whose bytes are not UTF-8. Every valid post is indexed (the long ones
// capped and marked), the bad bytes are dead-lettered as invalid_encoding, and
// the offsets end committed. Rule-based stages stand in for the models, the
// config's default caps and bulk bound are used as the service uses them.
import { expect, test } from 'vitest'
import { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { KafkaSource, connectKafkaClients } from '../../src/consumers/index.js'
import { parseConfig } from '../../src/config/index.js'
import { Pipeline } from '../../src/pipeline/index.js'
import { DEAD_LETTER_HEADERS, ElasticsearchSink, KafkaDeadLetterSink, entityIndexTemplate } from '../../src/sinks/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'
import { ELASTICSEARCH_URL, KAFKA_BROKERS, skipUnless, uniqueName, waitFor } from './services.js'
import { groupLag, produce, readTopic, testKafka } from './kafka-helpers.js'
import { skipWhen } from '../support/skip.js'

const skip = skipUnless(KAFKA_BROKERS, 'KAFKA_BROKERS') || skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL')

test('Kafka -> Elasticsearch: long posts are indexed capped beside ordinary ones; invalid UTF-8 is dead-lettered', { timeout: 180_000 }, async (t) => {
  skipWhen(t, skip)
  const topic = uniqueName('gs-test-long-kafka')
  const config = parseConfig({
    kafka: { brokers: KAFKA_BROKERS.split(','), topic, dlqTopic: `${topic}.dlq`, groupId: `${topic}-group`, topicPartitions: 2, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    elasticsearch: { url: ELASTICSEARCH_URL, index: topic },
    pipeline: { maxBatchSize: 32, maxWaitMs: 500 }
  })
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0, requestTimeout: 60_000 })
  const kafka = testKafka()
  const { admin, producer } = await connectKafkaClients(kafka, config.kafka)
  const sink = new ElasticsearchSink({
    client, index: topic, models: { stage1: 'rules', stage2: 'rules' }, retryInitialMs: 50, retryMaxMs: 500, maxRetries: 5, maxBulkBytes: config.elasticsearch.maxBulkBytes
  })
  await sink.init()
  const deadLetters = new KafkaDeadLetterSink({ producer, topic: config.kafka.dlqTopic })
  const pipeline = new Pipeline({
    stages: fakeStages(), sink, deadLetters, maxBatchSize: config.pipeline.maxBatchSize, maxWaitMs: config.pipeline.maxWaitMs, queueCapacity: 2, maxInFlight: 64,
    limits: { maxAnalysedChars: config.pipeline.maxAnalysedChars, maxCandidates: config.pipeline.maxCandidatesPerPost, maxMentions: config.pipeline.maxMentionsPerPost }
  })
  const source = new KafkaSource({
    kafka, config: config.kafka, pipeline, deadLetters, logger: pino({ level: 'silent' }), commitIntervalMs: 200,
    events: { consumed: () => {}, lag: () => {}, committed: () => {}, deadLettered: () => {}, paused: () => {} }
  })
  try {
    await source.start()
    const long = 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000)
    const records: Array<{ key: string, value: string | Buffer, partition: number }> = []
    for (let i = 0; i < 24; i++) records.push({ key: `k${i}`, value: JSON.stringify(makePost(i, i % 6 === 0 ? { text: long } : {})), partition: 0 })
    const bad = Buffer.concat([Buffer.from('{"id":"bad-bytes","text":"caf'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","created_at":"2026-11-30T10:00:00Z"}')])
    records.push({ key: 'bad-bytes', value: bad, partition: 0 })
    await produce(kafka, topic, records)
    await waitFor('offsets committed to the end', async () => (await groupLag(admin, config.kafka.groupId, topic)).lag === 0, 120_000)
    await client.indices.refresh({ index: topic })
    const posts = await client.search({ index: topic, size: 0, aggs: { posts: { cardinality: { field: 'post_id' } }, truncated: { filter: { term: { 'post.truncated': true } }, aggs: { posts: { cardinality: { field: 'post_id' } } } } } })
    const aggs = posts.aggregations as { posts: { value: number }, truncated: { posts: { value: number } } }
    expect(aggs.posts.value, 'every valid post indexed').toBe(24)
    expect(aggs.truncated.posts.value, 'the long ones capped and marked').toBe(4)
    expect((await client.count({ index: topic })).count).toBe(4 * config.pipeline.maxMentionsPerPost + 20 * 6)
    const dlq = await readTopic(kafka, config.kafka.dlqTopic, 1)
    expect(dlq.length).toBe(1)
    expect(dlq[0]?.key).toBe('bad-bytes')
    expect(dlq[0]?.headers[DEAD_LETTER_HEADERS.reason]).toBe('invalid_encoding')
  } finally {
    await source.stop()
    await pipeline.close()
    await producer.disconnect()
    await admin.disconnect()
    await client.indices.delete({ index: topic, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(topic).name }).catch(() => {})
    await client.close()
  }
})
