// Reproduction of the adversarial review's long-post finding: 20 ordinary
// posts and N long ones ('Tim Cook visited Paris. ' × 834, cut to 20,000
// characters) in one micro-batch, through the service as `run` builds it
// (startService: the config's caps and batching; rule-based stages from
// test/pipeline/fakes instead of the models) into the real Elasticsearch.
// Prints what was indexed and dead-lettered, the largest bulk body and the
// peak RSS.
//   eval "$(bash scripts/services.sh env)"; node dist/bench/long-posts.js [N=4]
// The "before" row of docs/operations.md came from f5f8373, whose copy of this
// script drove its Pipeline directly (that build predates the service factory).
import { Client } from '@elastic/elasticsearch'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../src/config/index.js'
import { runInMemorySource } from '../src/consumers/index.js'
import { installDefaults, startService } from '../src/service/index.js'
import { ElasticsearchSink, entityIndexTemplate } from '../src/sinks/index.js'
import { MemoryDeadLetters, fakeStages, makePost } from '../test/pipeline/fakes.js'

const count = Number(process.argv[2] ?? 4)
if (!Number.isInteger(count) || count < 0) throw new Error(`N must be a whole number, got '${process.argv[2] ?? ''}'`)
const url = process.env.ELASTICSEARCH_URL
if (url === undefined || url === '') throw new Error('ELASTICSEARCH_URL not set (eval "$(bash scripts/services.sh env)")')

const client = new Client({ node: url, maxRetries: 0, requestTimeout: 120_000 })
const index = `gs-bench-long-${Date.now().toString(36)}`
let peakRss = 0
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)
const started = performance.now()
let largest = 0
const deadLetters = new MemoryDeadLetters()
// The service's defaults (pipeline.maxAnalysedChars 4000, 128 candidates, 64 mentions), all posts in one micro-batch.
const config = loadConfig({ env: {}, defaults: installDefaults(), overrides: { pipeline: { maxBatchSize: 20 + count, maxWaitMs: 1000, queueCapacity: 2, maxInFlight: 64 }, metrics: { port: 0 } } })
const service = await startService(config, pino({ level: 'warn' }), {
  source: 'memory',
  stages: fakeStages(),
  models: { stage1: 'rules', stage2: 'rules' },
  registry: new Registry(),
  sinks: (models) => ({
    sink: new ElasticsearchSink({ client, index, models, retryInitialMs: 50, retryMaxMs: 500, maxRetries: 2, onBulk: (bytes: number) => { largest = Math.max(largest, bytes) } }),
    deadLetters
  })
})
try {
  const long = 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000)
  const posts = Array.from({ length: 20 + count }, (_, i) => makePost(i, i < count ? { text: long } : {}))
  const fed = await runInMemorySource({ posts, topic: 'long-posts', pipeline: service.pipeline, deadLetters: service.deadLetters })
  await client.indices.refresh({ index })
  const reasons: Record<string, number> = {}
  for (const record of deadLetters.records) {
    const key = record.detail.slice(0, 140)
    reasons[key] = (reasons[key] ?? 0) + 1
  }
  console.log(JSON.stringify({
    longPosts: count,
    posts: posts.length,
    indexed: fed.indexed,
    deadLettered: fed.deadLettered,
    reasons,
    documents: (await client.count({ index })).count,
    largestBulkBytes: largest,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    peakRssMB: Math.round(peakRss / 1e6)
  }))
} finally {
  clearInterval(timer)
  await service.close()
  await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
  await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
  await client.close()
}
