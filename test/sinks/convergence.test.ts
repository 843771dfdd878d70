// Post-level convergence against the real Elasticsearch: a post indexed, then
// processed again with a different result by a process that "crashes" after
// its bulk request and before deleting the old generation (a proxy in front of
// Elasticsearch cuts every search, the first step of that delete, and the sink
// gives up), then
// replayed by a fresh sink: the index holds exactly the replay's mentions.
import { expect, test } from 'vitest'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { Client } from '@elastic/elasticsearch'
import type { PostWork } from '../../src/pipeline/index.js'
import { ElasticsearchSink, entityIndexTemplate } from '../../src/sinks/index.js'
import { fakeStages, makeWork } from '../pipeline/fakes.js'
import { ELASTICSEARCH_URL, skipUnless, uniqueName } from '../e2e/services.js'
import { skipWhen } from '../support/skip.js'

const models = { stage1: 's1', stage2: 's2' }

async function typed (works: PostWork[]): Promise<PostWork[]> {
  let batch = works
  for (const stage of fakeStages()) batch = await stage.run(batch)
  return batch
}

/** Forwards to Elasticsearch, except searches: the connection is cut, as if the writer died there. */
async function proxyWithoutDeletes (target: string): Promise<{ server: Server, url: string }> {
  const upstream = new URL(target)
  const server = createServer((req, res) => {
    if (req.url?.includes('/_search') === true) {
      req.socket.destroy()
      return
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => { res.destroy() })
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

test('real Elasticsearch: re-processing a post with a different result, crashing in between, leaves no stale mention', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0 })
  const proxy = await proxyWithoutDeletes(ELASTICSEARCH_URL)
  const crashing = new Client({ node: proxy.url, maxRetries: 0, requestTimeout: 5000 })
  const index = uniqueName('gs-test-converge')
  const signal = new AbortController().signal
  const sink = (c: Client, extra: Partial<ConstructorParameters<typeof ElasticsearchSink>[0]> = {}): ElasticsearchSink =>
    new ElasticsearchSink({ client: c, index, models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 1, refresh: 'wait_for', ...extra })
  const mentions = async (): Promise<string[]> => {
    await client.indices.refresh({ index })
    const found = await client.search<{ entity: { text: string } }>({ index, size: 100, query: { term: { post_id: 'post-00007' } } })
    return found.hits.hits.map((hit) => hit._source?.entity.text ?? '').sort()
  }
  try {
    await sink(client).init()
    // First processing: three mentions.
    await sink(client).write(await typed([makeWork(7, { text: 'Maria Lopez visited Paris with Nike' })]), signal)
    expect(await mentions()).toStrictEqual(['Maria Lopez', 'Nike', 'Paris'])

    // Re-processing with a different result; the writer dies after its bulk request, before the delete.
    const edited = { text: 'Tim Cook met Angela in Berlin' }
    await expect(sink(crashing).write(await typed([makeWork(7, edited)]), signal)).rejects.toMatchObject({ code: 'GS_ERR_SINK' })
    expect(await mentions(), 'old and new side by side until the replay').toStrictEqual(['Angela', 'Berlin', 'Maria Lopez', 'Nike', 'Paris', 'Tim Cook'])

    // The replay after the crash (a fresh process): exactly its mentions remain.
    const replay = sink(client)
    expect(await replay.write(await typed([makeWork(7, edited)]), signal)).toStrictEqual([{ ok: true, documents: 3 }])
    expect(await mentions()).toStrictEqual(['Angela', 'Berlin', 'Tim Cook'])
    // Idempotent: once more, same mentions; and a post that now has none is emptied.
    await replay.write(await typed([makeWork(7, edited)]), signal)
    expect(await mentions()).toStrictEqual(['Angela', 'Berlin', 'Tim Cook'])
    expect(await replay.write(await typed([makeWork(7, { text: 'nothing to see here' })]), signal)).toStrictEqual([{ ok: true, documents: 0 }])
    expect(await mentions()).toStrictEqual([])
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await crashing.close()
    await client.close()
    proxy.server.closeAllConnections()
    proxy.server.close()
  }
})

test('real Elasticsearch: a document of an older generation arriving late does not replace a newer one', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0 })
  const index = uniqueName('gs-test-generation')
  const signal = new AbortController().signal
  let clock = Date.parse('2026-11-30T12:00:00Z')
  const sink = new ElasticsearchSink({ client, index, models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 1, refresh: 'wait_for', now: () => new Date(clock) })
  const old = new ElasticsearchSink({ client, index, models: { stage1: 'old', stage2: 'old' }, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 1, refresh: 'wait_for', now: () => new Date(clock - 60_000) })
  try {
    await sink.init()
    expect(await sink.write(await typed([makeWork(8)]), signal)).toStrictEqual([{ ok: true, documents: 6 }])
    clock += 1000
    // A slower duplicate of an earlier processing lands afterwards: accepted as done, changes nothing.
    expect(await old.write(await typed([makeWork(8)]), signal)).toStrictEqual([{ ok: true, documents: 6 }])
    await client.indices.refresh({ index })
    const found = await client.search<{ models: { stage1: string }, generation: number }>({ index, size: 100, query: { term: { post_id: 'post-00008' } } })
    expect(found.hits.hits.length).toBe(6)
    expect(found.hits.hits.every((hit) => hit._source?.models.stage1 === 's1')).toBeTruthy()
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await client.close()
  }
})
