// Dead-letter records to a Kafka topic: the original key and value, and why
// and where from in headers, so an operator can inspect and replay them.
import type { Producer } from 'kafkajs'
import { wrapError } from '../errors/index.js'
import type { DeadLetter, DeadLetterSink } from '../pipeline/index.js'

/** Values above this are cut so a huge poison record cannot poison the dead-letter topic too. */
const MAX_DEAD_LETTER_VALUE_BYTES = 1024 * 1024

export const DEAD_LETTER_HEADERS = Object.freeze({
  reason: 'gs-dlq-reason',
  detail: 'gs-dlq-detail',
  topic: 'gs-source-topic',
  partition: 'gs-source-partition',
  offset: 'gs-source-offset',
  postId: 'gs-post-id',
  truncated: 'gs-dlq-truncated',
  at: 'gs-dlq-at'
})

export class KafkaDeadLetterSink implements DeadLetterSink {
  private readonly producer: Producer
  private readonly topic: string
  private readonly now: () => Date

  constructor (options: { producer: Producer, topic: string, now?: () => Date }) {
    this.producer = options.producer
    this.topic = options.topic
    this.now = options.now ?? (() => new Date())
  }

  async publish (records: readonly DeadLetter[]): Promise<void> {
    if (records.length === 0) return
    const at = this.now().toISOString()
    const messages = records.map((record) => {
      let value = record.value === null ? null : Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value)
      const truncated = value !== null && value.length > MAX_DEAD_LETTER_VALUE_BYTES
      if (truncated && value !== null) value = value.subarray(0, MAX_DEAD_LETTER_VALUE_BYTES)
      const headers: Record<string, string> = {
        [DEAD_LETTER_HEADERS.reason]: record.reason,
        [DEAD_LETTER_HEADERS.detail]: record.detail.slice(0, 4000),
        [DEAD_LETTER_HEADERS.topic]: record.source.topic,
        [DEAD_LETTER_HEADERS.partition]: String(record.source.partition),
        [DEAD_LETTER_HEADERS.offset]: record.source.offset,
        [DEAD_LETTER_HEADERS.at]: at
      }
      if (record.postId !== undefined) headers[DEAD_LETTER_HEADERS.postId] = record.postId
      if (truncated) headers[DEAD_LETTER_HEADERS.truncated] = 'true'
      return { key: record.key, value, headers }
    })
    try {
      await this.producer.send({ topic: this.topic, acks: -1, messages })
    } catch (error) {
      throw wrapError('GS_ERR_KAFKA', `cannot publish ${records.length} records to dead-letter topic ${this.topic}`, error, true)
    }
  }

  async close (): Promise<void> {
    // The producer is owned (and disconnected) by whoever created it.
  }
}
