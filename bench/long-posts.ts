// Reproduction of the adversarial review's long-post finding, before and after:
// 20 ordinary posts and N long ones ('Tim Cook visited Paris. ' × 834, cut to
// 20,000 characters) in one micro-batch, through the pipeline (rule-based
// stages from test/pipeline/fakes) into the real Elasticsearch. Prints what was
// indexed and dead-lettered, the largest bulk body and the peak RSS.
//   node dist/bench/long-posts.js [N=4] [dist root to load the code from, default this build]
// Point the second argument at an older build's dist/ to see the old behaviour.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Client } from '@elastic/elasticsearch'

const count = Number(process.argv[2] ?? 4)
const root = resolve(process.argv[3] ?? new URL('..', import.meta.url).pathname)
const url = process.env.ELASTICSEARCH_URL
if (url === undefined || url === '') throw new Error('ELASTICSEARCH_URL not set (eval "$(bash scripts/services.sh env)")')
const load = async <T>(path: string): Promise<T> => await import(pathToFileURL(`${root}/${path}`).href) as T

/* eslint-disable @typescript-eslint/no-explicit-any */
const { Pipeline } = await load<any>('src/pipeline/index.js')
const { ElasticsearchSink, entityIndexTemplate } = await load<any>('src/sinks/index.js')
const { MemoryDeadLetters, fakeStages, makeWork } = await load<any>('test/pipeline/fakes.js')
/* eslint-enable @typescript-eslint/no-explicit-any */

const client = new Client({ node: url, maxRetries: 0, requestTimeout: 120_000 })
const index = `gs-bench-long-${Date.now().toString(36)}`
let peakRss = 0
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 20)
const started = performance.now()
try {
  let largest = 0
  const sink = new ElasticsearchSink({
    client, index, models: { stage1: 'rules', stage2: 'rules' }, retryInitialMs: 50, retryMaxMs: 500, maxRetries: 2,
    onBulk: (bytes: number) => { largest = Math.max(largest, bytes) }
  })
  await sink.init()
  const deadLetters = new MemoryDeadLetters()
  const pipeline = new Pipeline({
    stages: fakeStages(), sink, deadLetters, maxBatchSize: 20 + count, maxWaitMs: 1000, queueCapacity: 2, maxInFlight: 64,
    // The service's defaults (config pipeline.*); an old build ignores the option.
    limits: { maxAnalysedChars: 4000, maxCandidates: 128, maxMentions: 64 }
  })
  const long = 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000)
  const posts = Array.from({ length: 20 + count }, (_, i) => makeWork(i, i < count ? { text: long } : {}))
  const outcomes = await Promise.allSettled(posts.map((work: unknown) => pipeline.push(work)))
  await pipeline.close()
  await client.indices.refresh({ index })
  const indexed = outcomes.filter((o) => o.status === 'fulfilled' && o.value === 'indexed').length
  const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason?.message).slice(0, 160))
  const reasons: Record<string, number> = {}
  for (const record of deadLetters.records as Array<{ detail: string }>) {
    const key = record.detail.slice(0, 140)
    reasons[key] = (reasons[key] ?? 0) + 1
  }
  console.log(JSON.stringify({
    code: root, longPosts: count, posts: posts.length, indexed, deadLettered: deadLetters.records.length, reasons,
    failed: failed.length === 0 ? undefined : `${failed.length}: ${failed[0]}`,
    documents: (await client.count({ index })).count,
    largestBulkBytes: largest === 0 ? 'not reported by this build' : largest,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    peakRssMB: Math.round(peakRss / 1e6)
  }))
} finally {
  clearInterval(timer)
  await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
  await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
  await client.close()
}
