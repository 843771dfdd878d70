// Small helpers over kafkajs for tests: topics, producing, reading a topic
// back, and committed offsets versus the end of each partition.
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs'
import { KAFKA_BROKERS } from './services.js'

export function testKafka (clientId = 'gs-test'): Kafka {
  return new Kafka({ clientId, brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } })
}

export async function createTopics (admin: Admin, topics: Array<{ topic: string, partitions: number }>): Promise<void> {
  await admin.createTopics({ topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })), waitForLeaders: true })
}

export async function produce (kafka: Kafka, topic: string, records: Array<{ key?: string, value: string | Buffer, partition?: number }>): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  try {
    for (let i = 0; i < records.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + 500).map((r) => ({ key: r.key ?? null, value: r.value, ...(r.partition === undefined ? {} : { partition: r.partition }) })) })
    }
  } finally {
    await producer.disconnect()
  }
}

/** Sum over partitions of (end offset - committed offset), and whether the group committed everything. */
export async function groupLag (admin: Admin, groupId: string, topic: string): Promise<{ lag: number, committed: number, end: number }> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] })
  ])
  const committedBy = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
  let lag = 0
  let total = 0
  let end = 0
  for (const p of ends) {
    const c = Math.max(0, committedBy.get(p.partition) ?? 0)
    total += c
    end += Number(p.high)
    lag += Number(p.high) - c
  }
  return { lag, committed: total, end }
}

export interface ReadRecord {
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
  partition: number
  offset: string
}

/** Reads a topic from the beginning until `count` records arrived (or the timeout). */
export async function readTopic (kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` })
  const records: ReadRecord[] = []
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(message.headers ?? {} as IHeaders)) headers[name] = String(value)
        records.push({ key: message.key?.toString() ?? null, value: message.value, headers, partition, offset: message.offset })
        if (records.length >= count) { clearTimeout(timer); resolve() }
      }
    })
  })
  await done
  await consumer.disconnect()
  return records
}
