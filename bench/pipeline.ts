// Pipeline benchmark, in one run: model-only throughput of the configured
// stages (batches run back to back, nothing else) against the pipelined
// runner with micro-batching and a sink, at several batch sizes and waits.
// With KAFKA_BROKERS set the posts go through a real topic and the consumer
// group. Reports sustained posts/s at saturation and its ratio to model-only
// throughput (the pipeline's overhead, or gain from overlapping stages), and
// p50/p99 latency both at saturation and at a paced 50% load, where latency
// is what the batching policy costs rather than queueing.
//
//   eval "$(scripts/services.sh env)"; npm run bench:pipeline
//   (ELASTICSEARCH_URL set: the sink is Elasticsearch, else a null sink; KAFKA_BROKERS set: through Kafka)
//   GS_BENCH_POSTS=2000 GS_BENCH_CONFIGS=8:5,32:20,64:50 npm run bench:pipeline
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { buildStages } from '../src/cli/run.js'
import { loadConfig } from '../src/config/index.js'
import { PostSchema } from '../src/contracts/index.js'
import { newPostWork } from '../src/consumers/index.js'
import { createMetrics } from '../src/metrics/index.js'
import { NO_EVENTS, Pipeline, sleep, type PostWork, type Sink, type Stage } from '../src/pipeline/index.js'
import { ElasticsearchSink, KafkaDeadLetterSink } from '../src/sinks/index.js'
import { KafkaSource, connectKafkaClients } from '../src/consumers/index.js'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { parseConfig } from '../src/config/index.js'
import { e2ePost } from '../test/e2e/posts.js'

const POSTS = Number(process.env.GS_BENCH_POSTS ?? '1000')
const CONFIGS = (process.env.GS_BENCH_CONFIGS ?? '8:5,32:20,64:50').split(',').map((pair) => {
  const [size, wait] = pair.split(':').map(Number)
  return { maxBatchSize: size as number, maxWaitMs: wait as number }
})

const REPEATS = Number(process.env.GS_BENCH_REPEATS ?? '3')

function median (values: number[]): number { return percentile(values, 0.5) }

function percentile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

function makeWorks (n: number, offset: number): PostWork[] {
  return Array.from({ length: n }, (_, i) => newPostWork(PostSchema.parse(e2ePost(offset + i)), { topic: 'bench', partition: i % 4, offset: String(i) }))
}

async function modelOnly (stages: readonly Stage[], batchSize: number): Promise<number> {
  const works = makeWorks(POSTS, 0)
  const started = performance.now()
  for (let i = 0; i < works.length; i += batchSize) {
    let batch = works.slice(i, i + batchSize)
    for (const stage of stages) batch = await stage.run(batch)
  }
  return POSTS / ((performance.now() - started) / 1000)
}

class NullSink implements Sink {
  readonly name = 'sink'
  async init (): Promise<void> {}
  async write (items: readonly PostWork[]) { return items.map((w) => ({ ok: true as const, documents: w.entities.length })) }
  async close (): Promise<void> {}
}

interface RunResult { postsPerSecond: number, p50: number, p99: number }

async function pipelined (stages: readonly Stage[], sink: Sink, setting: { maxBatchSize: number, maxWaitMs: number }, ratePerSecond: number | null, offset: number): Promise<RunResult> {
  const latencies: number[] = []
  const pipeline = new Pipeline({
    stages,
    sink,
    deadLetters: { publish: async () => {}, close: async () => {} },
    ...setting,
    queueCapacity: 2,
    maxInFlight: Math.max(setting.maxBatchSize * 4, 64),
    events: { ...NO_EVENTS, postDone: (event) => { latencies.push(event.pipelineMs) } }
  })
  pipeline.start()
  const works = makeWorks(POSTS, offset)
  const done: Array<Promise<unknown>> = []
  const started = performance.now()
  for (let i = 0; i < works.length; i++) {
    if (ratePerSecond !== null) {
      const due = started + (i * 1000) / ratePerSecond
      const wait = due - performance.now()
      if (wait > 1) await sleep(wait)
    }
    await pipeline.waitForCapacity()
    done.push(pipeline.push(works[i] as PostWork))
  }
  pipeline.flush()
  await Promise.all(done)
  const seconds = (performance.now() - started) / 1000
  await pipeline.close()
  return { postsPerSecond: POSTS / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }
}

/**
 * The whole path: posts produced to a Kafka topic, consumed by the consumer
 * group, through the pipeline into the sink. Saturated: N posts produced up
 * front, throughput from the first batch formed to the last post indexed.
 * Paced: N more produced at `rate` with created_at = send time, so latency is
 * end to end from the post's timestamp.
 */
async function throughKafka (stages: readonly Stage[], sink: Sink, setting: { maxBatchSize: number, maxWaitMs: number }, rateOf: (saturated: number) => number): Promise<{ saturated: RunResult, paced: RunResult, rate: number }> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',')
  const topic = `gs-bench-${setting.maxBatchSize}-${setting.maxWaitMs}-${Date.now()}`
  const kafkaConfig = parseConfig({ kafka: { brokers, topic, dlqTopic: `${topic}.dlq`, groupId: `${topic}-group`, topicPartitions: 4 } }).kafka
  const kafka = new Kafka({ clientId: 'gs-bench', brokers, logLevel: logLevel.NOTHING })
  const { admin, producer } = await connectKafkaClients(kafka, kafkaConfig)
  const benchProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await benchProducer.connect()
  let done = 0
  let firstBatchAt = Number.NaN
  let lastDoneAt = 0
  let latencies: number[] = []
  const pipeline = new Pipeline({
    stages,
    sink,
    deadLetters: new KafkaDeadLetterSink({ producer, topic: kafkaConfig.dlqTopic }),
    ...setting,
    queueCapacity: 2,
    maxInFlight: Math.max(setting.maxBatchSize * 4, 64),
    events: {
      ...NO_EVENTS,
      batchFormed: () => { if (Number.isNaN(firstBatchAt)) firstBatchAt = performance.now() },
      postDone: (event) => { done++; lastDoneAt = performance.now(); latencies.push(event.endToEndMs) }
    }
  })
  pipeline.start()
  const source = new KafkaSource({ kafka, config: kafkaConfig, pipeline, deadLetters: new KafkaDeadLetterSink({ producer, topic: kafkaConfig.dlqTopic }), logger })
  const send = async (works: PostWork[]): Promise<void> => {
    await benchProducer.send({ topic, messages: works.map((w) => ({ key: w.post.id, value: JSON.stringify({ ...w.post, created_at: new Date().toISOString() }) })) })
  }
  try {
    await source.start()
    const rates: number[] = []
    for (let rep = 0; rep < REPEATS; rep++) {
      // The backlog is produced while the consumer waits, then drained as fast as the pipeline goes.
      const target = done + POSTS
      const backlog = makeWorks(POSTS, rep * POSTS)
      for (let i = 0; i < backlog.length; i += 500) await send(backlog.slice(i, i + 500))
      firstBatchAt = Number.NaN
      while (done < target) await sleep(20)
      rates.push(POSTS / ((lastDoneAt - firstBatchAt) / 1000))
    }
    const saturated: RunResult = { postsPerSecond: median(rates), p50: Number.NaN, p99: Number.NaN }
    const rate = rateOf(saturated.postsPerSecond)
    latencies = []
    const second = makeWorks(POSTS, REPEATS * POSTS)
    const started = performance.now()
    const startDone = done
    for (let i = 0; i < second.length;) {
      const due = Math.min(second.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
      if (due > i) { await send(second.slice(i, due)); i = due } else await sleep(2)
    }
    while (done < startDone + POSTS) await sleep(20)
    return { saturated, paced: { postsPerSecond: rate, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }, rate }
  } finally {
    await source.stop()
    await pipeline.close()
    await benchProducer.disconnect()
    await producer.disconnect()
    await admin.deleteTopics({ topics: [topic, kafkaConfig.dlqTopic] }).catch(() => {})
    await admin.disconnect()
  }
}

const config = loadConfig({ env: process.env })
const logger = pino({ level: 'warn' }, pino.destination(2))
const built = await buildStages(config, logger, createMetrics({ registry: new Registry() }), null)
let sink: Sink = new NullSink()
let client: Client | null = null
const esUrl = process.env.ELASTICSEARCH_URL
if (esUrl !== undefined && esUrl !== '') {
  client = new Client({ node: esUrl, maxRetries: 0 })
  const esSink = new ElasticsearchSink({ client, index: `gs-bench-${Date.now()}`, models: built.models, retryInitialMs: 100, retryMaxMs: 2000, maxRetries: 0 })
  await esSink.init()
  sink = esSink
}
const stageNames = built.stages.map((s) => s.name).join(' → ')
process.stderr.write(`bench: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs; ${POSTS} posts per run, ${REPEATS} runs (median), stages ${stageNames}, sink ${client === null ? 'null' : 'elasticsearch'}, models ${built.models.stage1} / ${built.models.stage2}\n`)
// Warm-up: sessions, worker, caches.
await modelOnly(built.stages, 16).catch(() => 0)

const viaKafka = (process.env.KAFKA_BROKERS ?? '') !== ''
const rows = []
let offset = POSTS
for (const setting of CONFIGS) {
  // Repeated and interleaved with the pipeline runs, medians reported: the
  // machine is shared, so a single run says more about its neighbours.
  const modelRuns: number[] = []
  for (let rep = 0; rep < REPEATS; rep++) modelRuns.push(await modelOnly(built.stages, setting.maxBatchSize))
  const model = median(modelRuns)
  let saturated: RunResult
  let paced: RunResult
  let pacedRate: number
  if (viaKafka) {
    const result = await throughKafka(built.stages, sink, setting, (rate) => Math.min(rate, model) * 0.5)
    saturated = result.saturated
    paced = result.paced
    pacedRate = result.rate
  } else {
    const runs: RunResult[] = []
    for (let rep = 0; rep < REPEATS; rep++) {
      runs.push(await pipelined(built.stages, sink, setting, null, offset))
      offset += POSTS
    }
    runs.sort((a, b) => a.postsPerSecond - b.postsPerSecond)
    saturated = runs[Math.floor(runs.length / 2)] as RunResult
    pacedRate = Math.min(saturated.postsPerSecond, model) * 0.5
    paced = await pipelined(built.stages, sink, setting, pacedRate, offset)
    offset += POSTS
  }
  const row = {
    ...setting,
    modelOnlyPostsPerSecond: model,
    pipelinePostsPerSecond: saturated.postsPerSecond,
    ratio: saturated.postsPerSecond / model,
    saturatedLatencyMs: { p50: saturated.p50, p99: saturated.p99 },
    pacedRate,
    pacedLatencyMs: { p50: paced.p50, p99: paced.p99 }
  }
  rows.push(row)
  process.stderr.write(`  batch ${setting.maxBatchSize}/${setting.maxWaitMs} ms done\n`)
}

const path = viaKafka ? 'Kafka → consumer → pipeline → sink; paced latency from created_at' : 'in-process pipeline → sink; latency from admission'
const header = '| batch | wait ms | model-only posts/s | pipeline posts/s | ratio | p50 / p99 ms (saturated) | paced posts/s | p50 / p99 ms (paced) |'
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : 'n/a')
const lines = [header, '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
for (const r of rows) {
  lines.push(`| ${r.maxBatchSize} | ${r.maxWaitMs} | ${r.modelOnlyPostsPerSecond.toFixed(1)} | ${r.pipelinePostsPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)} | ${ms(r.saturatedLatencyMs.p50)} / ${ms(r.saturatedLatencyMs.p99)} | ${r.pacedRate.toFixed(1)} | ${ms(r.pacedLatencyMs.p50)} / ${ms(r.pacedLatencyMs.p99)} |`)
}
process.stdout.write(`\nPipeline benchmark (${POSTS} posts/run, median of ${REPEATS}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs; ${path}; stages ${stageNames}; sink ${client === null ? 'null' : 'Elasticsearch'})\n\n${lines.join('\n')}\n`)
mkdirSync('reports', { recursive: true })
writeFileSync('reports/bench-pipeline.json', JSON.stringify({ posts: POSTS, path, stages: stageNames, sink: client === null ? 'null' : 'elasticsearch', models: built.models, rows }, null, 2))
await built.close()
await client?.close()
