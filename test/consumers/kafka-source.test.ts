// The consumer against the real Kafka from scripts/services.sh, with rule-based
// stages and an in-memory sink, so every expected outcome is known.
import { expect, test } from 'vitest'
import { pino } from 'pino'
import { KafkaSource, connectKafkaClients } from '../../src/consumers/index.js'
import { parseConfig } from '../../src/config/index.js'
import { Pipeline } from '../../src/pipeline/index.js'
import { DEAD_LETTER_HEADERS, KafkaDeadLetterSink } from '../../src/sinks/index.js'
import { MemorySink, fakeStages, makePost } from '../pipeline/fakes.js'
import { KAFKA_BROKERS, skipUnless, uniqueName, waitFor } from '../e2e/services.js'
import { groupLag, produce, readTopic, testKafka } from '../e2e/kafka-helpers.js'
import { skipWhen } from '../support/skip.js'

const skip = skipUnless(KAFKA_BROKERS, 'KAFKA_BROKERS')
const logger = pino({ level: 'silent' })

function kafkaConfig (topic: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    kafka: { brokers: KAFKA_BROKERS.split(','), topic, dlqTopic: `${topic}.dlq`, groupId: `${topic}-group`, topicPartitions: 4, maxRecordBytes: 64 * 1024, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, ...extra }
  }).kafka
}

async function startConsumer (topic: string, sink: MemorySink, options: { maxInFlight?: number, extra?: Record<string, unknown>, onPaused?: (p: boolean) => void } = {}) {
  const config = kafkaConfig(topic, options.extra)
  const kafka = testKafka()
  const { admin, producer } = await connectKafkaClients(kafka, config)
  const pipeline = new Pipeline({
    stages: fakeStages({ delayMs: 2 }),
    sink,
    deadLetters: new KafkaDeadLetterSink({ producer, topic: config.dlqTopic }),
    maxBatchSize: 16,
    maxWaitMs: 10,
    queueCapacity: 2,
    maxInFlight: options.maxInFlight ?? 256
  })
  const source = new KafkaSource({
    kafka,
    config,
    pipeline,
    deadLetters: new KafkaDeadLetterSink({ producer, topic: config.dlqTopic }),
    logger,
    commitIntervalMs: 200,
    events: { consumed: () => {}, lag: () => {}, committed: () => {}, deadLettered: () => {}, paused: (p) => { options.onPaused?.(p) } }
  })
  await source.start()
  return {
    config,
    admin,
    kafka,
    pipeline,
    source,
    async stop () {
      await source.stop()
      await pipeline.close()
      await producer.disconnect()
      await admin.disconnect()
    }
  }
}

test('good records are indexed, poison records go to the DLQ with reason and coordinates, offsets end committed', { timeout: 120_000 }, async (t) => {
  skipWhen(t, skip)
  const topic = uniqueName('gs-test-consume')
  const sink = new MemorySink()
  const service = await startConsumer(topic, sink)
  try {
    const good = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify(makePost(i)) }))
    const poison = [
      { key: 'bad-json', value: '{"id": "broken", "text": ' },
      { key: 'bad-types', value: JSON.stringify({ ...makePost(9001), text: 12 }) },
      { key: 'huge', value: JSON.stringify(makePost(9002, { text: 'x'.repeat(19_000) })) + ' '.repeat(70 * 1024) }
    ]
    const records = [...good.slice(0, 60), poison[0], ...good.slice(60, 120), poison[1], ...good.slice(120), poison[2]]
    await produce(service.kafka, topic, records as Array<{ key: string, value: string }>)

    await waitFor('all good posts indexed', async () => sink.written.length >= 200, 60_000)
    await waitFor('offsets committed to the end', async () => (await groupLag(service.admin, service.config.groupId, topic)).lag === 0, 30_000)
    const ids = sink.written.map((w) => w.post.id)
    expect(new Set(ids).size).toBe(200)
    expect(ids.length, 'no post indexed twice in a clean run').toBe(200)

    const dlq = await readTopic(service.kafka, service.config.dlqTopic, 3)
    const byKey = new Map(dlq.map((r) => [r.key, r]))
    expect(byKey.get('bad-json')?.headers[DEAD_LETTER_HEADERS.reason]).toBe('invalid_json')
    expect(byKey.get('bad-types')?.headers[DEAD_LETTER_HEADERS.reason]).toBe('schema_violation')
    expect(byKey.get('bad-types')?.headers[DEAD_LETTER_HEADERS.detail] ?? '').toMatch(/^text: /)
    expect(byKey.get('bad-types')?.headers[DEAD_LETTER_HEADERS.postId]).toBe('post-09001')
    expect(byKey.get('huge')?.headers[DEAD_LETTER_HEADERS.reason]).toBe('oversized')
    for (const record of dlq) {
      expect(record.headers[DEAD_LETTER_HEADERS.topic]).toBe(topic)
      expect(record.headers[DEAD_LETTER_HEADERS.partition] ?? '').toMatch(/^[0-3]$/)
      expect(record.headers[DEAD_LETTER_HEADERS.offset] ?? '').toMatch(/^\d+$/)
    }
    expect(byKey.get('bad-json')?.value?.toString(), 'the original value is kept for replay').toBe('{"id": "broken", "text": ')
  } finally {
    await service.stop()
  }
})

test('a slow sink fills the pipeline: the consumer pauses, resumes, and loses nothing', { timeout: 120_000 }, async (t) => {
  skipWhen(t, skip)
  const topic = uniqueName('gs-test-backpressure')
  const sink = new MemorySink()
  sink.delayMs = 60
  const pauses: boolean[] = []
  const service = await startConsumer(topic, sink, { maxInFlight: 32, onPaused: (p) => pauses.push(p) })
  try {
    let peak = 0
    const sampler = setInterval(() => { peak = Math.max(peak, service.pipeline.inFlight) }, 5)
    await produce(service.kafka, topic, Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify(makePost(i)) })))
    await waitFor('all posts indexed', async () => sink.written.length >= 300, 90_000)
    // The last write lands before in-flight falls under the low watermark: resuming follows it.
    await waitFor('consumption resumed after the last write', async () => pauses.at(-1) === false, 10_000)
    clearInterval(sampler)
    expect(peak <= 32, `in flight never above maxInFlight (peak ${peak})`).toBeTruthy()
    expect(pauses.includes(true) && pauses.at(-1) === false, `paused then resumed: ${pauses.join(',')}`).toBeTruthy()
    await waitFor('offsets committed to the end', async () => (await groupLag(service.admin, service.config.groupId, topic)).lag === 0, 30_000)
    expect(new Set(sink.written.map((w) => w.post.id)).size).toBe(300)
  } finally {
    await service.stop()
  }
})

test('a second member joins mid-run: partitions move, nothing is lost, offsets end committed', { timeout: 180_000 }, async (t) => {
  skipWhen(t, skip)
  const topic = uniqueName('gs-test-rebalance')
  const sinkA = new MemorySink()
  const sinkB = new MemorySink()
  sinkA.delayMs = 20
  sinkB.delayMs = 20
  const a = await startConsumer(topic, sinkA)
  let b: Awaited<ReturnType<typeof startConsumer>> | null = null
  try {
    await produce(a.kafka, topic, Array.from({ length: 1500 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify(makePost(i)) })))
    await waitFor('first member under way', async () => sinkA.written.length > 100, 60_000)
    b = await startConsumer(topic, sinkB)
    const union = (): Set<string> => new Set([...sinkA.written, ...sinkB.written].map((w) => w.post.id))
    await waitFor('every post indexed by one member or the other', async () => union().size >= 1500, 120_000)
    await waitFor('offsets committed to the end', async () => (await groupLag(a.admin, a.config.groupId, topic)).lag === 0, 60_000)
    expect(union().size).toBe(1500)
  } finally {
    await b?.stop()
    await a.stop()
  }
})
