// The adversarial review's long post ('Tim Cook visited Paris. ' × 834, cut to
// the 20,000 characters a post may have): alone it fanned out to ~1,600
// mention documents each carrying the whole text (33.8 MB), four of them made
// a bulk request Elasticsearch refused with 413, and every post of the batch
// was dead-lettered. Here it goes through the real pipeline (caps on) into the
// real Elasticsearch with 20 ordinary posts, and the sink's byte bound, its
// 413 splitting and its single-document refusal are checked on their own.
import { expect, test } from 'vitest'
import { createServer } from 'node:http'
import { Client } from '@elastic/elasticsearch'
import { Pipeline, type PostLimits, type PostWork } from '../../src/pipeline/index.js'
import { ElasticsearchSink, entityIndexTemplate } from '../../src/sinks/index.js'
import { MemoryDeadLetters, fakeStages, makeWork } from '../pipeline/fakes.js'
import { ELASTICSEARCH_URL, skipUnless, uniqueName } from '../e2e/services.js'
import { skipWhen } from '../support/skip.js'

const models = { stage1: 's1', stage2: 's2' }
export const LONG_TEXT = 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000)
const LIMITS: PostLimits = { maxAnalysedChars: 4000, maxCandidates: 128, maxMentions: 64 }

async function typed (works: PostWork[]): Promise<PostWork[]> {
  let batch = works
  for (const stage of fakeStages()) batch = await stage.run(batch)
  return batch
}

function batchOf (): PostWork[] {
  const works: PostWork[] = []
  for (let i = 0; i < 24; i++) works.push(i % 6 === 0 ? makeWork(i, { text: LONG_TEXT }) : makeWork(i))
  return works
}

test('real Elasticsearch: 4 long posts and 20 ordinary ones in one batch are all indexed, long ones capped and marked', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0, requestTimeout: 60_000 })
  const index = uniqueName('gs-test-long')
  try {
    const sink = new ElasticsearchSink({ client, index, models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 3, refresh: 'wait_for', maxBulkBytes: 1024 * 1024 })
    await sink.init()
    const deadLetters = new MemoryDeadLetters()
    const pipeline = new Pipeline({ stages: fakeStages(), sink, deadLetters, maxBatchSize: 24, maxWaitMs: 1000, queueCapacity: 2, maxInFlight: 64, limits: LIMITS })
    const outcomes = await Promise.all(batchOf().map((work) => pipeline.push(work)))
    await pipeline.close()
    expect(outcomes).toStrictEqual(Array(24).fill('indexed'))
    expect(deadLetters.records.length).toBe(0)
    const long = await client.search<{ post: { text: string, text_length: number, truncated: boolean, truncated_by: string[] } }>({
      index, size: 1000, query: { term: { post_id: 'post-00000' } }
    })
    const hits = long.hits.hits
    expect(hits.length, 'mentions per post are capped').toBe(LIMITS.maxMentions)
    for (const hit of hits) {
      expect(hit._source?.post.truncated).toBe(true)
      expect(hit._source?.post.truncated_by).toStrictEqual(['chars', 'candidates', 'mentions'])
      expect((hit._source?.post.text.length ?? Infinity) <= LIMITS.maxAnalysedChars).toBeTruthy()
      expect(hit._source?.post.text_length).toBe(20_000)
    }
    const ordinary = await client.search<{ post: { truncated: boolean, truncated_by: string[] } }>({ index, size: 10, query: { term: { post_id: 'post-00001' } } })
    expect(ordinary.hits.hits.length).toBe(6)
    expect(ordinary.hits.hits[0]?._source?.post.truncated).toBe(false)
    expect((await client.count({ index })).count).toBe(4 * 64 + 20 * 6)
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await client.close()
  }
})

test('real Elasticsearch, caps off: bulk requests stay under maxBulkBytes; a document larger than any request sinks only its post', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0, requestTimeout: 60_000 })
  const index = uniqueName('gs-test-bulkbytes')
  try {
    let largest = 0
    const sink = new ElasticsearchSink({ client, index, models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 3, maxBulkBytes: 48 * 1024, onBulk: (bytes) => { largest = Math.max(largest, bytes) } })
    await sink.init()
    // 'Tim Cook visited Paris. ' × 200 = 4,800 characters: 201 rule-based mentions of ~5.5 KB, 1.1 MB in all.
    const works = await typed([makeWork(1), makeWork(2, { text: 'Tim Cook visited Paris. '.repeat(200) }), makeWork(3, { text: `${'€'.repeat(19_990)} Paris` }), makeWork(4)])
    const outcomes = await sink.write(works, new AbortController().signal)
    expect(outcomes[0]).toStrictEqual({ ok: true, documents: 6 })
    expect(outcomes[1]).toStrictEqual({ ok: true, documents: 201 })
    expect(outcomes[2]?.ok).toBe(false)
    expect(outcomes[2]?.ok === false ? outcomes[2].reason : '').toBe('document_too_large')
    expect(outcomes[3]).toStrictEqual({ ok: true, documents: 6 })
    expect(largest > 0 && largest <= 48 * 1024, `largest request ${largest} bytes`).toBeTruthy()
    await client.indices.refresh({ index })
    expect((await client.count({ index })).count).toBe(213)
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await client.close()
  }
})

test('a 413 for a whole request is split in halves until only the post whose document is too large is rejected', async () => {
  const limit = 50 * 1024
  let requests = 0
  let refused = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' }
      if (request.url?.includes('/_search') === true) {
        response.writeHead(200, headers)
        response.end(JSON.stringify({ took: 1, timed_out: false, hits: { total: { value: 0, relation: 'eq' }, hits: [] } }))
        return
      }
      requests++
      if (body.length > limit) {
        refused++
        response.writeHead(413, headers)
        response.end(JSON.stringify({ error: { type: 'content_too_long', reason: 'request body too large' }, status: 413 }))
        return
      }
      const ops = body.toString().trim().split('\n').filter((_, i) => i % 2 === 0).map((line) => JSON.parse(line) as { index: { _id: string } })
      response.writeHead(200, headers)
      response.end(JSON.stringify({ took: 1, errors: false, items: ops.map((op) => ({ index: { _id: op.index._id, status: 201 } })) }))
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const client = new Client({ node: `http://127.0.0.1:${(server.address() as { port: number }).port}`, maxRetries: 0 })
  try {
    const sink = new ElasticsearchSink({ client, index: 'gs-fake', models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 3 })
    const works = [makeWork(0, { text: `${'€'.repeat(19_990)} Paris` })]
    for (let i = 1; i <= 20; i++) works.push(makeWork(i))
    works.push(makeWork(21, { text: 'Tim Cook visited Paris. '.repeat(100) }))
    const outcomes = await sink.write(await typed(works), new AbortController().signal)
    expect(outcomes[0]?.ok, 'the post with a 60 KB document is rejected').toBe(false)
    expect(outcomes[0]?.ok === false ? outcomes[0].reason : '').toBe('http_413')
    for (let i = 1; i <= 20; i++) expect(outcomes[i], `innocent post ${i} indexed`).toStrictEqual({ ok: true, documents: 6 })
    expect(outcomes[21]).toStrictEqual({ ok: true, documents: 101 })
    expect(refused > 1 && requests > refused).toBeTruthy()
  } finally {
    await client.close()
    server.close()
  }
})

test('a refusal that concerns every document (403) is not split: one request, every post rejected', async () => {
  let requests = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      requests++
      response.writeHead(403, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' })
      response.end(JSON.stringify({ error: { type: 'security_exception', reason: 'forbidden' }, status: 403 }))
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const client = new Client({ node: `http://127.0.0.1:${(server.address() as { port: number }).port}`, maxRetries: 0 })
  try {
    const sink = new ElasticsearchSink({ client, index: 'gs-fake', models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 3 })
    const outcomes = await sink.write(await typed([makeWork(1), makeWork(2), makeWork(3)]), new AbortController().signal)
    expect(outcomes.map((o) => o.ok ? 'ok' : o.reason)).toStrictEqual(['http_403', 'http_403', 'http_403'])
    expect(requests).toBe(1)
  } finally {
    await client.close()
    server.close()
  }
})
