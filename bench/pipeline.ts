// Pipeline benchmark on real-shaped posts, in one run, rows interleaved and
// repeated (medians), since the machine is shared:
//   - text only: the posts without images;
//   - mixed firehose: 30 % of the posts with an image (half of them repeat an
//     earlier image), served by a loopback host;
//   - slow host: the same mix with 10 % of the images on a host that sends
//     1 byte/s.
// Each row sits beside model-only: the same stages run back to back on the
// same posts, batch after batch, with nothing else (no batcher, no queues, no
// overlap). The slow-host row is compared with the all-fast mixed row (the
// goal is that one slow host cannot stall the stream).
//
// Posts: GS_BENCH_POSTS_FILE (JSONL) when set, else the Twitter-GMNER dev
// split when ../shared/data/twitter-gmner is present, else a project-written
// tweet-like mix (bench/posts.ts). Images are rendered here: the three test
// photos and sign scenes at 1200 px, each unique image made distinct.
//
//   eval "$(scripts/services.sh env)"; npm run bench:pipeline
//   (ELASTICSEARCH_URL set: the sink is Elasticsearch, else a null sink; KAFKA_BROKERS set: the text row also goes through Kafka)
//   GS_BENCH_POSTS=1000 GS_BENCH_REPEATS=3 GS_BENCH_BATCH=32 GS_BENCH_WAIT_MS=20 GS_BENCH_ROWS=text,mixed,slow npm run bench:pipeline
//   GS_BENCH_IMAGE_BATCHES=1 npm run bench:pipeline   (images.batchesInFlight; 1 = one image batch at a time)
//
// Recognisers: the rows run the configured one (textModels.recognizer,
// SCANNER by default). When models/mqspn exists the text-only row is also run
// with the MQSPN set recogniser, interleaved with the others
// (GS_BENCH_RECOGNIZERS=scanner to leave it out).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import path from 'node:path'
import type { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import sharp from 'sharp'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { loadConfig, type AppConfig } from '../src/config/index.js'
import type { ModelVersions, PostInput } from '../src/contracts/index.js'
import { runInMemorySource } from '../src/consumers/index.js'
import { createMetrics } from '../src/metrics/index.js'
import { sleep, type DeadLetter, type DeadLetterSink, type PostWork, type Sink, type Stage } from '../src/pipeline/index.js'
import { ElasticsearchSink } from '../src/sinks/index.js'
import { buildStages, createElasticsearchClient, installDefaults, runKafka, startService, type BuiltStages, type StartedService, type SuppliedSinks } from '../src/service/index.js'
import { loadBenchPosts, planImages, postWorks } from './posts.js'

const POSTS = Number(process.env.GS_BENCH_POSTS ?? '1000')
const REPEATS = Number(process.env.GS_BENCH_REPEATS ?? '3')
const BATCH = Number(process.env.GS_BENCH_BATCH ?? '32')
const WAIT_MS = Number(process.env.GS_BENCH_WAIT_MS ?? '20')
const ROWS = new Set((process.env.GS_BENCH_ROWS ?? 'text,mixed,slow').split(','))
/** images.batchesInFlight for the rows (absent: the config's, default 1: one image batch at a time). */
const IMAGE_BATCHES = process.env.GS_BENCH_IMAGE_BATCHES === undefined || process.env.GS_BENCH_IMAGE_BATCHES === '' ? undefined : Number(process.env.GS_BENCH_IMAGE_BATCHES)
const IMAGE_SHARE = 0.3
const REPEAT_SHARE = 0.5
const SLOW_SHARE = 0.1
const FIXTURES = path.join('test', 'fixtures', 'images')

function percentile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}
function median (values: number[]): number { return percentile(values, 0.5) }

// ---- images: two loopback hosts, one fast, one that sends a byte a second
interface ImageHost { base: string, put (name: string, bytes: Buffer): void, close (): Promise<void> }

async function startImageHost (bytesPerSecond: number | null): Promise<ImageHost> {
  const files = new Map<string, Buffer>()
  const server = http.createServer((req, res) => {
    const bytes = files.get((req.url ?? '').split('?')[0] ?? '')
    if (bytes === undefined) { res.statusCode = 404; res.end(); return }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length })
    if (bytesPerSecond === null) { res.end(bytes); return }
    let sent = 0
    const timer = setInterval(() => {
      if (sent >= bytes.length || res.destroyed) { clearInterval(timer); res.end(); return }
      res.write(bytes.subarray(sent, sent + 1))
      sent++
    }, 1000 / bytesPerSecond)
    res.on('close', () => { clearInterval(timer) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    base: `http://127.0.0.1:${port}`,
    put: (name, bytes) => { files.set(name, bytes) },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

const photos = await Promise.all(['dog.jpg', 'person.jpg', 'horses.jpg'].map(async (name) => await sharp(path.join(FIXTURES, name)).resize({ width: 1200 }).toBuffer()))

/** A distinct 1200 px JPEG per key: a test photo, hue-shifted and tagged, or a sign scene with a name on it. */
async function renderImage (key: number): Promise<Buffer> {
  const photo = photos[key % photos.length] as Buffer
  const meta = await sharp(photo).metadata()
  const width = meta.width ?? 1200
  const height = meta.height ?? 800
  const sign = key % 4 === 3
  const label = sign ? ['STARBUCKS', 'NIKE', 'TESLA', 'NETFLIX', 'ADIDAS'][key % 5] as string : `#${key}`
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${sign
    ? `<rect x="${width - 520}" y="80" width="480" height="140" rx="10" fill="#0b5d3b"/><text x="${width - 490}" y="180" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="76" fill="#ffffff">${label}</text>`
    : ''}<text x="20" y="${height - 20}" font-family="DejaVu Sans, sans-serif" font-size="18" fill="#ffffff">${label}</text></svg>`
  return await sharp(photo).modulate({ hue: (key * 37) % 360, brightness: 0.9 + (key % 5) * 0.05 })
    .composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 85 }).toBuffer()
}

interface Mix { posts: PostInput[], withImage: number, unique: number, repeats: number, slow: number }

/** The posts with images attached; `run` keeps every run's images distinct so no cache carries over. */
async function withImages (posts: readonly PostInput[], run: number, fast: ImageHost, slow: ImageHost | null): Promise<Mix> {
  const plan = planImages(posts.length, { share: IMAGE_SHARE, repeatShare: REPEAT_SHARE, seed: 30 })
  const urls: string[] = []
  let slowCount = 0
  for (let k = 0; k < plan.unique; k++) {
    const name = `/r${run}/img${k}.jpg`
    const bytes = await renderImage(run * 100_000 + k)
    // Every tenth distinct image lives on the slow host (its repeats too).
    const host = slow !== null && k % Math.round(1 / SLOW_SHARE) === 5 ? slow : fast
    if (host === slow) slowCount++
    host.put(name, bytes)
    urls.push(`${host.base}${name}`)
  }
  const out = posts.map((post, i) => {
    const image = plan.imageOf[i]
    return { ...post, id: `${post.id}-r${run}`, image_urls: image === null || image === undefined ? [] : [urls[image] as string] }
  })
  const slowPosts = out.filter((post) => slow !== null && (post.image_urls?.[0] ?? '').startsWith(slow.base)).length
  return { posts: out, withImage: plan.withImage, unique: plan.unique, repeats: plan.repeats, slow: slowCount === 0 ? 0 : slowPosts }
}


class NullSink implements Sink {
  readonly name = 'sink'
  async init (): Promise<void> {}
  async write (items: readonly PostWork[]) { return items.map((w) => ({ ok: true as const, documents: w.entities.length })) }
  async close (): Promise<void> {}
}

interface RunResult { postsPerSecond: number, p50: number, p99: number, seconds: number }

/** The same stages back to back on each batch: what the models allow with nothing else in the way. */
async function modelOnly (stages: readonly Stage[], posts: readonly PostInput[]): Promise<RunResult> {
  const all = postWorks(posts)
  const latencies: number[] = []
  const started = performance.now()
  for (let i = 0; i < all.length; i += BATCH) {
    const batchStarted = performance.now()
    let batch = all.slice(i, i + BATCH)
    for (const stage of stages) batch = await stage.run(batch)
    const ms = performance.now() - batchStarted
    for (let k = 0; k < batch.length; k++) latencies.push(ms)
  }
  const seconds = (performance.now() - started) / 1000
  return { postsPerSecond: all.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), seconds }
}

/** The service's pipeline settings for the rows: micro-batches of GS_BENCH_BATCH posts, GS_BENCH_WAIT_MS. */
const PIPELINE = { maxBatchSize: BATCH, maxWaitMs: WAIT_MS, queueCapacity: 2, maxInFlight: Math.max(BATCH * 4, 64) }

/** Dead letters of a row: counted, not kept (the bench's posts are all valid). */
class CountingDeadLetters implements DeadLetterSink {
  count = 0
  async publish (records: readonly DeadLetter[]): Promise<void> { this.count += records.length }
  async close (): Promise<void> {}
}

/** A row's sinks: a fresh Elasticsearch sink on the shared client (its index made once per row), else the null sink. */
function rowSinks (models: ModelVersions): SuppliedSinks {
  const sink = client === null
    ? new NullSink()
    : new ElasticsearchSink({ client, index: `gs-bench-${Date.now()}`, models, retryInitialMs: 100, retryMaxMs: 2000, maxRetries: Infinity })
  return { sink, deadLetters: new CountingDeadLetters() }
}

/** The started service (src/service/start.ts, as `run` builds it) over the given stages, with the row's sinks. */
async function startRow (stages: BuiltStages, source: 'memory' | 'kafka', overrides: Record<string, unknown> = {}): Promise<{ service: StartedService, config: Readonly<AppConfig> }> {
  const rowConfig = loadConfig({ env: {}, defaults: installDefaults(), overrides: { pipeline: PIPELINE, metrics: { port: 0 }, ...overrides } })
  return { service: await startService(rowConfig, logger, { source, stages: stages.stages, models: stages.models, registry: new Registry(), sinks: rowSinks }), config: rowConfig }
}

function rowResult (service: StartedService, posts: number, seconds: number): RunResult {
  const latencies = service.collector.latencies
  return { postsPerSecond: posts / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), seconds }
}

/** The service's pipeline at saturation, fed from an in-memory list (every post offered as soon as there is room). */
async function pipelined (stages: BuiltStages, posts: readonly PostInput[]): Promise<RunResult> {
  const { service } = await startRow(stages, 'memory')
  try {
    const started = performance.now()
    const fed = await runInMemorySource({ posts, topic: 'bench', pipeline: service.pipeline, deadLetters: service.deadLetters })
    const seconds = (performance.now() - started) / 1000
    if (fed.indexed !== posts.length) throw new Error(`pipelined row: ${fed.indexed} of ${posts.length} posts indexed (${JSON.stringify(fed.reasons)})`)
    return rowResult(service, posts.length, seconds)
  } finally {
    await service.close()
  }
}

/** Text row through Kafka: a backlog produced to a topic, drained by the service's consumer group (runKafka, as `run` consumes). */
async function throughKafka (stages: BuiltStages, posts: readonly PostInput[], run: number): Promise<RunResult> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',')
  const topic = `gs-bench-${run}-${Date.now()}`
  const kafka = { brokers, topic, dlqTopic: `${topic}.dlq`, groupId: `${topic}-group`, topicPartitions: 4 }
  const producer = new Kafka({ clientId: 'gs-bench', brokers, logLevel: logLevel.NOTHING })
  const benchProducer = producer.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await benchProducer.connect()
  const { service, config: rowConfig } = await startRow(stages, 'kafka', { kafka })
  const stop = new AbortController()
  try {
    for (let i = 0; i < posts.length; i += 500) {
      await benchProducer.send({ topic, messages: posts.slice(i, i + 500).map((post) => ({ key: post.id, value: JSON.stringify(post) })) })
    }
    const consuming = runKafka(service, rowConfig, { signal: stop.signal })
    while (service.collector.postsDone < posts.length) await sleep(20)
    // From the first micro-batch (the group has joined) to the last post indexed and committed.
    const seconds = (service.collector.lastDoneAt - service.collector.firstBatchAt) / 1000
    stop.abort()
    const { exitCode } = await consuming
    if (exitCode !== 0) throw new Error(`the Kafka row's consumer stopped with exit code ${exitCode}`)
    return rowResult(service, posts.length, seconds)
  } finally {
    stop.abort()
    await service.close()
    await benchProducer.disconnect()
    const admin = producer.admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {})
    await admin.disconnect()
  }
}

const logger = pino({ level: 'warn' }, pino.destination(2))
// Images from the loopback hosts are allowed explicitly (the guard refuses loopback otherwise).
// The text models' result cache is off: every row runs the same posts again, which it would answer without the models
// (bench/run-vs-baseline.sh measures the cache on a stream with repeated posts).
const config = loadConfig({ env: process.env, defaults: installDefaults(), overrides: { textModels: { resultCacheBytes: 0 }, images: { fetch: { allowCidrs: ['127.0.0.1/32'] }, ...(IMAGE_BATCHES === undefined ? {} : { batchesInFlight: IMAGE_BATCHES }) } } })
const built = await buildStages(config, { logger, metrics: createMetrics({ registry: new Registry() }) })
const otherRecognizer = config.textModels.recognizer === 'scanner' ? 'mqspn' : 'scanner'
const recognizers = (process.env.GS_BENCH_RECOGNIZERS ?? `${config.textModels.recognizer},${otherRecognizer}`).split(',')
// The other recogniser, for the text-only row (no image stage: the row has no images).
const other = recognizers.includes(otherRecognizer) && ROWS.has('text') && existsSync(path.join(config.textModels.modelsDir, 'mqspn', 'manifest.json'))
  ? await buildStages(loadConfig({ env: process.env, defaults: installDefaults(), overrides: { textModels: { recognizer: otherRecognizer, resultCacheBytes: 0 }, images: { enabled: false } } }), { logger, metrics: createMetrics({ registry: new Registry() }) })
  : null
const esUrl = process.env.ELASTICSEARCH_URL
const client: Client | null = esUrl !== undefined && esUrl !== '' ? createElasticsearchClient({ url: esUrl, requestTimeoutMs: config.elasticsearch.requestTimeoutMs }) : null
const viaKafka = (process.env.KAFKA_BROKERS ?? '') !== ''
const loaded = await loadBenchPosts({ file: process.env.GS_BENCH_POSTS_FILE, count: POSTS })
const textPosts = loaded.posts.map((post) => ({ ...post, image_urls: [] }))
const fast = await startImageHost(null)
const slowHost = await startImageHost(1)
const stageNames = built.stages.map((s) => s.name).join(' → ')
const loadLine = (): string => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`
process.stderr.write(`bench: ${loadLine()}; ${loaded.source}; ${POSTS} posts per run, ${REPEATS} runs (median), batch ${BATCH}/${WAIT_MS} ms, image batches in flight ${config.images.batchesInFlight}, stages ${stageNames}, sink ${client === null ? 'null' : 'elasticsearch'}, models ${built.models.stage1} / ${built.models.stage2}\n`)

// Warm-up: sessions, worker, tokenizer caches, image workers.
await modelOnly(built.stages, textPosts.slice(0, 64))
if (other !== null) await modelOnly(other.stages, textPosts.slice(0, 64))
if (ROWS.has('mixed') || ROWS.has('slow')) await modelOnly(built.stages, (await withImages(textPosts.slice(0, 64), 99, fast, null)).posts)

interface Sample { model: RunResult[], pipeline: RunResult[], kafka: RunResult[], imagePostsPerSecond: number[], mix?: Mix }
const samples: Record<'text' | 'other' | 'mixed' | 'slow', Sample> = {
  text: { model: [], pipeline: [], kafka: [], imagePostsPerSecond: [] },
  other: { model: [], pipeline: [], kafka: [], imagePostsPerSecond: [] },
  mixed: { model: [], pipeline: [], kafka: [], imagePostsPerSecond: [] },
  slow: { model: [], pipeline: [], kafka: [], imagePostsPerSecond: [] }
}
for (let rep = 0; rep < REPEATS; rep++) {
  // Each repetition runs every row once, so a busy neighbour slows them alike.
  if (ROWS.has('text')) {
    samples.text.model.push(await modelOnly(built.stages, textPosts))
    samples.text.pipeline.push(await pipelined(built, textPosts))
    if (viaKafka) samples.text.kafka.push(await throughKafka(built, textPosts.map((p) => ({ ...p, id: `${p.id}-k${rep}` })), rep))
    if (other !== null) {
      samples.other.model.push(await modelOnly(other.stages, textPosts))
      samples.other.pipeline.push(await pipelined(other, textPosts.map((p) => ({ ...p, id: `${p.id}-r${rep}` }))))
    }
  }
  if (ROWS.has('mixed')) {
    const forModel = await withImages(textPosts, rep * 3, fast, null)
    const forPipeline = await withImages(textPosts, rep * 3 + 1, fast, null)
    samples.mixed.mix = forPipeline
    samples.mixed.model.push(await modelOnly(built.stages, forModel.posts))
    const result = await pipelined(built, forPipeline.posts)
    samples.mixed.pipeline.push(result)
    samples.mixed.imagePostsPerSecond.push(forPipeline.withImage / result.seconds)
  }
  if (ROWS.has('slow')) {
    const mix = await withImages(textPosts, rep * 3 + 2, fast, slowHost)
    samples.slow.mix = mix
    const result = await pipelined(built, mix.posts)
    samples.slow.pipeline.push(result)
    samples.slow.imagePostsPerSecond.push(mix.withImage / result.seconds)
  }
  process.stderr.write(`  run ${rep + 1}/${REPEATS} done (${loadLine()})\n`)
}

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : 'n/a')
const pick = (runs: RunResult[]): RunResult => [...runs].sort((a, b) => a.postsPerSecond - b.postsPerSecond)[Math.floor(runs.length / 2)] as RunResult
const lines = [
  '| row | model-only posts/s (p50 / p99 ms per batch) | pipeline posts/s (p50 / p99 ms) | ratio | posts with images/s |',
  '| --- | ---: | ---: | ---: | ---: |'
]
const report: Record<string, unknown> = {}
const mixedPipeline = samples.mixed.pipeline.length > 0 ? pick(samples.mixed.pipeline) : null
for (const [name, sample] of Object.entries(samples)) {
  if (sample.pipeline.length === 0) continue
  const pipelineRun = pick(sample.pipeline)
  const modelRun = sample.model.length > 0 ? pick(sample.model) : null
  // The slow-host row is compared with the all-fast mix, not with model-only.
  const base = name === 'slow' ? mixedPipeline : modelRun
  const ratio = base === null ? Number.NaN : pipelineRun.postsPerSecond / base.postsPerSecond
  const imageRate = sample.imagePostsPerSecond.length > 0 ? median(sample.imagePostsPerSecond).toFixed(1) : '-'
  const label = name === 'text' ? `text only (${config.textModels.recognizer})` : name === 'other' ? `text only (${otherRecognizer})` : name === 'mixed' ? `mixed firehose (${sample.mix?.withImage ?? 0} with images, ${sample.mix?.repeats ?? 0} repeats)` : `slow host (${sample.mix?.slow ?? 0} posts' images at 1 byte/s; ratio vs all-fast mix)`
  lines.push(`| ${label} | ${modelRun === null ? '-' : `${modelRun.postsPerSecond.toFixed(1)} (${ms(modelRun.p50)} / ${ms(modelRun.p99)})`} | ${pipelineRun.postsPerSecond.toFixed(1)} (${ms(pipelineRun.p50)} / ${ms(pipelineRun.p99)}) | ${ratio.toFixed(2)} | ${imageRate} |`)
  if (sample.kafka.length > 0) {
    const kafkaRun = pick(sample.kafka)
    lines.push(`| text only, through Kafka | - | ${kafkaRun.postsPerSecond.toFixed(1)} (${ms(kafkaRun.p50)} / ${ms(kafkaRun.p99)}) | ${modelRun === null ? 'n/a' : (kafkaRun.postsPerSecond / modelRun.postsPerSecond).toFixed(2)} | - |`)
  }
  report[name] = { modelOnly: sample.model, pipeline: sample.pipeline, kafka: sample.kafka, imagePostsPerSecond: sample.imagePostsPerSecond, mix: sample.mix === undefined ? null : { withImage: sample.mix.withImage, unique: sample.mix.unique, repeats: sample.mix.repeats, slow: sample.mix.slow } }
}
// Where the image stage's answers came from (skips and cache hits), when it reports it.
const imageStage = built.stages.find((stage) => stage.name === 'image') as (Stage & { sources?: () => Record<string, number>, stats?: () => Record<string, number> }) | undefined
if (imageStage?.sources !== undefined) lines.push('', `image stage, all runs: ${JSON.stringify(imageStage.sources())}; statuses ${JSON.stringify(imageStage.stats?.() ?? {})}`)
else if (imageStage?.stats !== undefined) lines.push('', `image stage, all runs: statuses ${JSON.stringify(imageStage.stats())}`)
process.stdout.write(`\nPipeline benchmark (${loaded.source}; ${POSTS} posts/run, median of ${REPEATS}; batch ${BATCH}/${WAIT_MS} ms; image batches in flight ${config.images.batchesInFlight}; ${loadLine()}; stages ${stageNames}; sink ${client === null ? 'null' : 'Elasticsearch'})\n\n${lines.join('\n')}\n`)
mkdirSync('reports', { recursive: true })
writeFileSync('reports/bench-pipeline.json', JSON.stringify({ source: loaded.source, posts: POSTS, batch: BATCH, waitMs: WAIT_MS, imageBatchesInFlight: config.images.batchesInFlight, stages: stageNames, sink: client === null ? 'null' : 'elasticsearch', models: built.models, recognizers: { rows: config.textModels.recognizer, other: other === null ? null : otherRecognizer }, rows: report }, null, 2))
await fast.close()
await slowHost.close()
await built.close()
await other?.close()
await client?.close()
