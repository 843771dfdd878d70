// The consumer's batch handling with a hand-built kafkajs payload: what is
// committed, when, and what happens on a rebalance, a seek or a shutdown.
import { expect, test } from 'vitest'
import type { EachBatchPayload, Kafka } from 'kafkajs'
import { pino } from 'pino'
import { KafkaSource } from '../../src/consumers/index.js'
import { parseConfig } from '../../src/config/index.js'
import { Pipeline, type PostWork, type SinkOutcome } from '../../src/pipeline/index.js'
import { MemoryDeadLetters, MemorySink, fakeStages, makePost } from '../pipeline/fakes.js'

type EachBatch = (payload: EachBatchPayload) => Promise<void>

function fakeKafka (): { kafka: Kafka, eachBatch: () => EachBatch, paused: string[][] } {
  let captured: EachBatch | null = null
  const paused: string[][] = []
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => {},
    connect: async () => {},
    subscribe: async () => {},
    run: async (options: { eachBatch: EachBatch }) => { captured = options.eachBatch },
    pause: (topics: Array<{ topic: string }>) => { paused.push(topics.map((t) => `pause:${t.topic}`)) },
    resume: (topics: Array<{ topic: string }>) => { paused.push(topics.map((t) => `resume:${t.topic}`)) },
    stop: async () => {},
    disconnect: async () => {}
  }
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    eachBatch: () => { if (captured === null) throw new Error('run() not called'); return captured },
    paused
  }
}

/** A sink that holds the posts named in `hold` until released. */
class GatedSink extends MemorySink {
  readonly held = new Set<string>()
  private releaseAll: (() => void) | null = null
  private readonly gate = new Promise<void>((resolve) => { this.releaseAll = resolve })
  release (): void { this.releaseAll?.() }
  override async write (items: readonly PostWork[]): Promise<SinkOutcome[]> {
    if (items.some((w) => this.held.has(w.post.id))) await this.gate
    return await super.write(items)
  }
}

interface Harness {
  commits: string[]
  resolved: string[]
  heartbeats: number
  payload: EachBatchPayload
}

function harness (offsets: number[], values: Array<string | null>, options: { heartbeatThrowsAfter?: number, stale?: () => boolean, running?: () => boolean } = {}): Harness {
  const h: Harness = { commits: [], resolved: [], heartbeats: 0, payload: null as unknown as EachBatchPayload }
  const messages = offsets.map((offset, i) => ({ offset: String(offset), key: null, value: values[i] === null ? null : Buffer.from(values[i] as string), headers: {}, timestamp: '0', attributes: 0 }))
  h.payload = {
    batch: {
      topic: 'posts',
      partition: 2,
      messages,
      highWatermark: String(offsets.at(-1) as number + 1),
      offsetLag: () => '0',
      offsetLagLow: () => '0',
      firstOffset: () => String(offsets[0]),
      lastOffset: () => String(offsets.at(-1)),
      isEmpty: () => false
    },
    resolveOffset: (offset: string) => { h.resolved.push(offset) },
    heartbeat: async () => {
      h.heartbeats++
      if (options.heartbeatThrowsAfter !== undefined && h.heartbeats > options.heartbeatThrowsAfter) throw new Error('The group is rebalancing, so a rejoin is needed')
    },
    pause: () => () => {},
    commitOffsetsIfNecessary: async (offsets?: { topics: Array<{ partitions: Array<{ offset: string }> }> }) => {
      h.commits.push(offsets?.topics[0]?.partitions[0]?.offset ?? 'auto')
    },
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: options.running ?? (() => true),
    isStale: options.stale ?? (() => false)
  } as unknown as EachBatchPayload
  return h
}

async function setup (sink: MemorySink, revokeDrainMs = 300) {
  const { kafka, eachBatch, paused } = fakeKafka()
  const config = parseConfig({ kafka: { brokers: ['x:1'], revokeDrainMs, maxRecordBytes: 4096 } }).kafka
  const deadLetters = new MemoryDeadLetters()
  const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters, maxBatchSize: 4, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 64 })
  const source = new KafkaSource({ kafka, config, pipeline, deadLetters, logger: pino({ level: 'silent' }), commitIntervalMs: 0, shutdownDrainMs: 300 })
  await source.start()
  return { eachBatch: eachBatch(), pipeline, deadLetters, paused, source }
}

const post = (i: number): string => JSON.stringify(makePost(i))

test('a clean batch: everything indexed, poison dead-lettered, the last commit is one past the last offset', async () => {
  const sink = new MemorySink()
  const { eachBatch, pipeline, deadLetters } = await setup(sink)
  const h = harness([10, 11, 12, 14], [post(1), '{bad', post(2), post(3)])
  await eachBatch(h.payload)
  expect(sink.written.length).toBe(3)
  expect(deadLetters.records[0]?.reason).toBe('invalid_json')
  expect(deadLetters.records[0]?.source).toStrictEqual({ topic: 'posts', partition: 2, offset: '11' })
  expect(h.commits.at(-1)).toBe('15')
  expect(h.resolved.at(-1)).toBe('14')
  // Commits only ever move forward.
  expect([...h.commits].sort((a, b) => Number(a) - Number(b))).toStrictEqual(h.commits)
  await pipeline.close()
})

test('a post stuck in the sink holds the watermark: nothing after it is committed until it is indexed', async () => {
  const sink = new GatedSink()
  sink.held.add('post-00002')
  const { eachBatch, pipeline } = await setup(sink)
  const h = harness([0, 1, 2, 3], [post(1), post(2), post(3), post(4)])
  const running = eachBatch(h.payload)
  await new Promise((resolve) => setTimeout(resolve, 1300))
  expect(h.commits.every((offset) => Number(offset) <= 1), `nothing past the stuck post (offset 1): ${h.commits.join(',')}`).toBeTruthy()
  expect(h.heartbeats >= 1, 'heartbeats go on while posts are in flight').toBeTruthy()
  sink.release()
  await running
  expect(h.commits.at(-1)).toBe('4')
  await pipeline.close()
})

test('a rebalance (heartbeat fails) with posts in flight: the finished prefix is committed, stuck posts are left for the next owner', async () => {
  const sink = new GatedSink()
  sink.held.add('post-00001')
  const { eachBatch, pipeline } = await setup(sink, 300)
  const h = harness([100, 101, 102], [post(0), post(1), post(2)], { heartbeatThrowsAfter: 0 })
  const started = Date.now()
  await eachBatch(h.payload)
  expect(Date.now() - started < 5000, 'returns after the revoke drain budget').toBeTruthy()
  expect(h.commits.every((offset) => Number(offset) <= 101), `only the finished prefix: ${h.commits.join(',')}`).toBeTruthy()
  sink.release()
  await pipeline.close()
})

test('a seek (stale batch) commits nothing; a stopped consumer admits nothing', async () => {
  const sink = new MemorySink()
  const { eachBatch, pipeline } = await setup(sink)
  const stale = harness([5, 6], [post(1), post(2)], { stale: () => true })
  await eachBatch(stale.payload)
  expect(stale.commits).toStrictEqual([])
  expect(sink.written.length).toBe(0)
  const stopped = harness([7], [post(3)], { running: () => false })
  await eachBatch(stopped.payload)
  expect(stopped.commits).toStrictEqual([])
  await pipeline.close()
})

test('a full pipeline pauses the topic; room coming back resumes it', async () => {
  const sink = new GatedSink()
  for (let i = 0; i < 70; i++) sink.held.add(makePost(i).id)
  const { eachBatch, pipeline, paused } = await setup(sink)
  const offsets = Array.from({ length: 70 }, (_, i) => i)
  const h = harness(offsets, offsets.map((i) => post(i)))
  const running = eachBatch(h.payload)
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(paused).toStrictEqual([['pause:posts']])
  expect(pipeline.inFlight).toBe(64)
  sink.release()
  await running
  expect(paused).toStrictEqual([['pause:posts'], ['resume:posts']])
  expect(h.commits.at(-1)).toBe('70')
  await pipeline.close()
})
