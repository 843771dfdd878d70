// The Kafka consumer: a consumer group read with eachBatch, autoCommit off.
// Records are validated at the edge (bad ones dead-lettered), admitted into
// the pipeline while it has room (the consumer pauses its topic when it has
// none), and offsets move only along each partition's watermark: offset N is
// committed once every record <= N is indexed or dead-lettered (posts may
// finish out of read order: dead letters at once, and a later batch can pass
// an earlier one in a stage with concurrency > 1). Heartbeats
// go on while posts are in flight. On a rebalance or shutdown a partition
// stops admitting, gives in-flight posts a bounded time to finish, commits
// what finished, and returns; the rest is read again by the next owner, and
// deterministic document ids make that replay an overwrite.
import { Partitioners, type Admin, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import type { KafkaConfig } from '../config/index.js'
import { GroundstreamError, wrapError } from '../errors/index.js'
import { PartitionWatermark, sleep, type DeadLetterSink, type Pipeline } from '../pipeline/index.js'
import { decodeRecord } from './decode.js'

export interface ConsumerEvents {
  consumed (topic: string, partition: number, count: number): void
  lag (topic: string, partition: number, lag: number): void
  committed (topic: string, partition: number, offset: string): void
  paused (paused: boolean): void
  deadLettered (reason: string, count: number): void
}

const NO_CONSUMER_EVENTS: ConsumerEvents = Object.freeze({
  consumed: () => {},
  lag: () => {},
  committed: () => {},
  paused: () => {},
  deadLettered: () => {}
})

export interface KafkaSourceOptions {
  kafka: Kafka
  config: KafkaConfig
  pipeline: Pipeline
  deadLetters: DeadLetterSink
  logger: Logger
  events?: ConsumerEvents
  /** Least time between two offset commits of one partition while its batch is in flight. */
  commitIntervalMs?: number
  /** On shutdown, how long a partition waits for its in-flight posts before committing what finished. */
  shutdownDrainMs?: number
}

/** Creates the input and dead-letter topics when they are missing. */
async function ensureTopics (admin: Admin, config: KafkaConfig): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const wanted = [
    { topic: config.topic, numPartitions: config.topicPartitions },
    { topic: config.dlqTopic, numPartitions: 1 }
  ].filter((topic) => !existing.has(topic.topic))
  if (wanted.length === 0) return
  await admin.createTopics({ topics: wanted, waitForLeaders: true })
}

export class KafkaSource {
  private readonly options: KafkaSourceOptions
  private readonly events: ConsumerEvents
  private readonly consumer: Consumer
  private stopping = false
  private stopped: Promise<void> | null = null
  private paused = false
  private progressWaiters: Array<() => void> = []
  private crashed: ((error: GroundstreamError) => void) | null = null

  constructor (options: KafkaSourceOptions) {
    this.options = options
    this.events = options.events ?? NO_CONSUMER_EVENTS
    const { config } = options
    this.consumer = options.kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: config.rebalanceTimeoutMs,
      maxBytesPerPartition: config.maxBytesPerPartition,
      allowAutoTopicCreation: false,
      readUncommitted: false
    })
  }

  /** Called once if the consumer dies for good (not on a restartable error). */
  onCrash (listener: (error: GroundstreamError) => void): void { this.crashed = listener }

  async start (): Promise<void> {
    const { config, logger } = this.options
    const { consumer } = this
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      logger.info({ groupId: event.payload.groupId, memberId: event.payload.memberId, assignment: event.payload.memberAssignment }, 'joined consumer group')
    })
    consumer.on(consumer.events.CRASH, (event) => {
      const error = wrapError('GS_ERR_KAFKA', 'consumer crashed', event.payload.error, event.payload.restart)
      logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed')
      if (!event.payload.restart && !this.stopping) this.crashed?.(error)
    })
    try {
      await consumer.connect()
      await consumer.subscribe({ topics: [config.topic], fromBeginning: config.fromBeginning })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
        eachBatch: async (payload) => { await this.handleBatch(payload) }
      })
    } catch (error) {
      throw wrapError('GS_ERR_KAFKA', `cannot consume ${config.topic}`, error, true)
    }
  }

  /** Stops fetching; partitions finish their in-flight posts (bounded) and commit. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped !== null) return await this.stopped
    this.stopping = true
    this.notifyProgress()
    this.stopped = (async () => {
      try {
        await this.consumer.stop()
      } catch (error) {
        this.options.logger.warn({ err: error }, 'consumer stop failed')
      }
      try {
        await this.consumer.disconnect()
      } catch (error) {
        this.options.logger.warn({ err: error }, 'consumer disconnect failed')
      }
    })()
    return await this.stopped
  }

  private notifyProgress (): void {
    for (const waiter of this.progressWaiters.splice(0)) waiter()
  }

  private progress (timeoutMs: number): Promise<void> {
    return Promise.race([
      new Promise<void>((resolve) => { this.progressWaiters.push(resolve) }),
      sleep(timeoutMs)
    ])
  }

  private setPaused (paused: boolean): void {
    if (this.paused === paused) return
    this.paused = paused
    // Once stopping, the consumer may already be disconnected; there is nothing left to pause or resume.
    if (this.stopping) return
    const topics = [{ topic: this.options.config.topic }]
    try {
      if (paused) {
        this.consumer.pause(topics)
        // Resume is driven by the pipeline, not by a batch: after a rebalance no
        // batch may be left to notice that room came back.
        void this.options.pipeline.waitForCapacity().then(() => { this.setPaused(false) })
      } else {
        this.consumer.resume(topics)
      }
    } catch (error) {
      this.options.logger.warn({ err: error, paused }, 'could not change the consumer pause state')
      return
    }
    this.events.paused(paused)
    this.options.logger.info({ inFlight: this.options.pipeline.inFlight }, paused ? 'pipeline full: consumption paused' : 'consumption resumed')
  }

  private async handleBatch (payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload
    const { topic, partition } = batch
    const { pipeline, deadLetters, config, logger } = this.options
    const commitIntervalMs = this.options.commitIntervalMs ?? 1000
    const watermark = new PartitionWatermark()
    let committed: string | null = null
    let lastCommitAt = 0
    let lostGroup = false

    this.events.lag(topic, partition, Number(batch.offsetLag()))
    const active = (): boolean => isRunning() && !isStale() && !lostGroup && !this.stopping && pipeline.error === null

    const beat = async (): Promise<void> => {
      if (lostGroup) return
      try {
        await heartbeat()
      } catch (error) {
        lostGroup = true
        logger.warn({ topic, partition, err: error }, 'heartbeat failed (rebalance?): this batch stops admitting')
      }
    }

    const commit = async (force: boolean): Promise<void> => {
      const next = watermark.commitOffset
      const last = watermark.lastDone
      if (next === null || last === null || next === committed || isStale()) return
      if (!force && Date.now() - lastCommitAt < commitIntervalMs) return
      lastCommitAt = Date.now()
      try {
        resolveOffset(last.toString())
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] })
        committed = next
        this.events.committed(topic, partition, next)
      } catch (error) {
        // Lost the partition (or the coordinator); whoever owns it now reads from the last commit.
        lostGroup = true
        logger.warn({ topic, partition, offset: next, err: error }, 'offset commit failed')
      }
    }

    let failure: unknown = null
    admit: for (const message of batch.messages) {
      if (!active()) break
      while (!pipeline.hasCapacity()) {
        this.setPaused(true)
        await Promise.race([pipeline.waitForCapacity(), sleep(1000)])
        await beat()
        await commit(false)
        if (!active()) break admit
      }
      this.setPaused(false)
      const source = { topic, partition, offset: message.offset }
      const decoded = decodeRecord(message.value, message.key, source, config.maxRecordBytes)
      watermark.track(message.offset)
      this.events.consumed(topic, partition, 1)
      if (!decoded.ok) {
        try {
          await deadLetters.publish([decoded.deadLetter])
        } catch (error) {
          failure = error
          break
        }
        this.events.deadLettered(decoded.deadLetter.reason, 1)
        logger.warn({ topic, partition, offset: message.offset, reason: decoded.deadLetter.reason, detail: decoded.deadLetter.detail.slice(0, 300) }, 'record dead-lettered')
        watermark.complete(message.offset)
        continue
      }
      pipeline.push(decoded.work).then(
        () => { watermark.complete(message.offset); this.notifyProgress() },
        () => { this.notifyProgress() }
      )
    }

    // Wait for what was admitted; past the deadline (only set once this
    // partition is no longer ours to keep) the remainder is left for replay.
    let deadline = Number.POSITIVE_INFINITY
    while (watermark.pendingCount > 0 && pipeline.error === null) {
      if (!active() && deadline === Number.POSITIVE_INFINITY) {
        deadline = Date.now() + (this.stopping ? (this.options.shutdownDrainMs ?? config.revokeDrainMs) : config.revokeDrainMs)
      }
      if (Date.now() >= deadline) break
      await this.progress(1000)
      await beat()
      await commit(false)
    }
    await commit(true)
    if (watermark.pendingCount > 0) {
      logger.info({ topic, partition, pending: watermark.pendingCount, committed }, 'batch left unfinished; it will be read again')
    }
    if (failure !== null) throw wrapError('GS_ERR_KAFKA', 'dead-letter publish failed', failure, true)
  }
}

/** Connects an admin and a producer for the dead-letter topic; the caller disconnects them. */
export async function connectKafkaClients (kafka: Kafka, config: KafkaConfig): Promise<{ admin: Admin, producer: Producer }> {
  const admin = kafka.admin()
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner })
  try {
    await admin.connect()
    if (config.createTopics) await ensureTopics(admin, config)
    await producer.connect()
  } catch (error) {
    throw wrapError('GS_ERR_KAFKA', `cannot connect to Kafka at ${config.brokers.join(',')}`, error, true)
  }
  return { admin, producer }
}

