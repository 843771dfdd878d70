// Pipeline benchmark, in one run: model-only throughput of the configured
// stages (batches run back to back, nothing else) against the pipelined
// runner with micro-batching and a sink, at several batch sizes and waits.
// Reports sustained posts/s at saturation and its ratio to model-only
// throughput (the pipeline's overhead, or gain from overlapping stages), and
// p50/p99 latency both at saturation and at a paced 50% load, where latency
// is what the batching policy costs rather than queueing.
//
//   npm run bench:pipeline            (ELASTICSEARCH_URL set: the sink is Elasticsearch, else a null sink)
//   GS_BENCH_POSTS=2000 GS_BENCH_CONFIGS=8:5,32:20,64:50 npm run bench:pipeline
import { mkdirSync, writeFileSync } from 'node:fs'
import { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { buildStages } from '../src/cli/run.js'
import { loadConfig } from '../src/config/index.js'
import { PostSchema } from '../src/contracts/index.js'
import { newPostWork } from '../src/consumers/index.js'
import { createMetrics } from '../src/metrics/index.js'
import { NO_EVENTS, Pipeline, sleep, type PostWork, type Sink, type Stage } from '../src/pipeline/index.js'
import { ElasticsearchSink } from '../src/sinks/index.js'
import { e2ePost } from '../test/e2e/posts.js'

const POSTS = Number(process.env.GS_BENCH_POSTS ?? '1000')
const CONFIGS = (process.env.GS_BENCH_CONFIGS ?? '8:5,32:20,64:50').split(',').map((pair) => {
  const [size, wait] = pair.split(':').map(Number)
  return { maxBatchSize: size as number, maxWaitMs: wait as number }
})

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
process.stderr.write(`bench: ${POSTS} posts per run, stages ${stageNames}, sink ${client === null ? 'null' : 'elasticsearch'}, models ${built.models.stage1} / ${built.models.stage2}\n`)
// Warm-up: sessions, worker, caches.
await modelOnly(built.stages, 16).catch(() => 0)

const rows = []
let offset = POSTS
for (const setting of CONFIGS) {
  const model = await modelOnly(built.stages, setting.maxBatchSize)
  const saturated = await pipelined(built.stages, sink, setting, null, offset)
  offset += POSTS
  const paced = await pipelined(built.stages, sink, setting, saturated.postsPerSecond * 0.5, offset)
  offset += POSTS
  const row = {
    ...setting,
    modelOnlyPostsPerSecond: model,
    pipelinePostsPerSecond: saturated.postsPerSecond,
    ratio: saturated.postsPerSecond / model,
    saturatedLatencyMs: { p50: saturated.p50, p99: saturated.p99 },
    pacedRate: saturated.postsPerSecond * 0.5,
    pacedLatencyMs: { p50: paced.p50, p99: paced.p99 }
  }
  rows.push(row)
  process.stderr.write(`  batch ${setting.maxBatchSize}/${setting.maxWaitMs} ms done\n`)
}

const header = '| batch | wait ms | model-only posts/s | pipeline posts/s | ratio | p50 / p99 ms (saturated) | paced posts/s | p50 / p99 ms (paced) |'
const lines = [header, '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
for (const r of rows) {
  lines.push(`| ${r.maxBatchSize} | ${r.maxWaitMs} | ${r.modelOnlyPostsPerSecond.toFixed(1)} | ${r.pipelinePostsPerSecond.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.saturatedLatencyMs.p50.toFixed(0)} / ${r.saturatedLatencyMs.p99.toFixed(0)} | ${r.pacedRate.toFixed(1)} | ${r.pacedLatencyMs.p50.toFixed(0)} / ${r.pacedLatencyMs.p99.toFixed(0)} |`)
}
process.stdout.write(`\nPipeline benchmark (${POSTS} posts/run; stages ${stageNames}; sink ${client === null ? 'null' : 'Elasticsearch'})\n\n${lines.join('\n')}\n`)
mkdirSync('reports', { recursive: true })
writeFileSync('reports/bench-pipeline.json', JSON.stringify({ posts: POSTS, stages: stageNames, sink: client === null ? 'null' : 'elasticsearch', models: built.models, rows }, null, 2))
await built.close()
await client?.close()
