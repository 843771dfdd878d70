// Against the real Elasticsearch from scripts/services.sh, plus a scripted
// fake server for the retry paths that a healthy node never takes.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { Client, type estypes } from '@elastic/elasticsearch'
import { ENTITY_TEMPLATE_VERSION, ElasticsearchSink, documentId, entityIndexTemplate } from '../../src/sinks/index.js'
import { fakeStages, makeWork } from '../pipeline/fakes.js'
import type { PostWork } from '../../src/pipeline/index.js'
import { ELASTICSEARCH_URL, skipUnless, uniqueName } from '../e2e/services.js'
import { skipWhen } from '../support/skip.js'

const models = { stage1: 's1', stage2: 's2' }

async function typed (works: PostWork[]): Promise<PostWork[]> {
  let batch = works
  for (const stage of fakeStages()) batch = await stage.run(batch)
  return batch
}

function sinkFor (client: Client, index: string, extra: Partial<ConstructorParameters<typeof ElasticsearchSink>[0]> = {}): ElasticsearchSink {
  return new ElasticsearchSink({ client, index, models, retryInitialMs: 10, retryMaxMs: 50, maxRetries: 3, refresh: 'wait_for', ...extra })
}

test('real Elasticsearch: template on init, one document per mention, replays overwrite, bad items rejected alone', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0 })
  const index = uniqueName('gs-test-sink')
  try {
    const sink = sinkFor(client, index)
    await sink.init()
    const template = await client.indices.getIndexTemplate({ name: entityIndexTemplate(index).name })
    expect(template.index_templates.length).toBe(1)

    const works = await typed([makeWork(1), makeWork(2), makeWork(3, { text: 'nothing here' })])
    const signal = new AbortController().signal
    const outcomes = await sink.write(works, signal)
    expect(outcomes).toStrictEqual([{ ok: true, documents: 6 }, { ok: true, documents: 6 }, { ok: true, documents: 0 }])
    const count = async (): Promise<number> => (await client.count({ index })).count
    expect(await count()).toBe(12)

    const mapping = await client.indices.getMapping({ index })
    const props = (Object.values(mapping)[0]?.mappings.properties ?? {}) as Record<string, { properties?: Record<string, { type?: string }> }>
    expect(props.entity?.properties?.type?.type).toBe('keyword')
    expect(props.box?.properties?.x?.type).toBe('float')
    expect(props.post?.properties?.created_at?.type).toBe('date')

    const first = works[0] as PostWork
    const entity = first.entities[1]
    assert.ok(entity !== undefined)
    const doc = await client.get<{ entity: { text: string, type: string } }>({ index, id: documentId(first.post.id, entity.candidate.start, entity.candidate.end) })
    expect(doc._source?.entity.text).toBe('Maria Lopez')

    // Same posts again (a replay after a crash): same ids, same count.
    await sink.write(await typed([makeWork(1), makeWork(2)]), signal)
    expect(await count()).toBe(12)

    // An item Elasticsearch can never accept (integer out of range) is rejected; its neighbours go in.
    const bad = (await typed([makeWork(4)]))[0] as PostWork
    const mention = bad.entities[0]
    assert.ok(mention !== undefined)
    bad.entities = [{ ...mention, candidate: { ...mention.candidate, start: 3_000_000_000, end: 3_000_000_005 } }]
    const mixed = await sink.write([bad, ...(await typed([makeWork(5)]))], signal)
    expect(mixed[0]?.ok).toBe(false)
    expect(!mixed[0]?.ok ? `${mixed[0]?.reason} ${mixed[0]?.detail}` : '').toMatch(/mapper_parsing_exception|document_parsing_exception/)
    expect(mixed[1]).toStrictEqual({ ok: true, documents: 6 })
    expect(await count()).toBe(18)
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await client.close()
  }
})

test('real Elasticsearch: an index made under the previous template gains entity.brand on init, and brand filters ignore case', async (t) => {
  skipWhen(t, skipUnless(ELASTICSEARCH_URL, 'ELASTICSEARCH_URL'))
  const client = new Client({ node: ELASTICSEARCH_URL, maxRetries: 0 })
  const index = uniqueName('gs-test-sink-brand')
  try {
    // The index as template version 1 made it: strict, no entity.brand.
    const current = entityIndexTemplate(index).body.template as { mappings: { properties: { entity: { properties: Record<string, unknown> } } } }
    const { brand: _brand, ...entityV1 } = current.mappings.properties.entity.properties
    await client.indices.create({ index, mappings: { dynamic: 'strict', properties: { ...current.mappings.properties, entity: { properties: entityV1 } } } as estypes.MappingTypeMapping })
    const sink = sinkFor(client, index)
    await sink.init()
    const template = await client.indices.getIndexTemplate({ name: entityIndexTemplate(index).name })
    expect(template.index_templates[0]?.index_template.version).toBe(ENTITY_TEMPLATE_VERSION)
    const mapping = await client.indices.getMapping({ index })
    const mappings = Object.values(mapping)[0]?.mappings as { _meta?: Record<string, unknown>, properties: { entity: { properties: Record<string, { type?: string, fields?: Record<string, { type?: string, normalizer?: string }> }> } } }
    expect(mappings._meta?.groundstream_template_version).toBe(ENTITY_TEMPLATE_VERSION)
    const brand = mappings.properties.entity.properties.brand
    expect(brand?.type).toBe('keyword')
    expect(brand?.fields?.lower).toStrictEqual({ type: 'keyword', normalizer: 'lowercase', ignore_above: 512 })

    // A product mention is indexed with its brand into the old index, and found by it in any case.
    const work = (await typed([makeWork(1)]))[0] as PostWork
    const first = work.entities[0]
    assert.ok(first !== undefined)
    work.entities = [{ ...first, type: 'OTHER', link: { id: 'gs:iphone', title: 'iPhone', description: "Apple's smartphone line", source: 'catalogue', brand: 'Apple' } }]
    expect(await sink.write([work], new AbortController().signal)).toStrictEqual([{ ok: true, documents: 1 }])
    const found = await client.search<{ entity: { brand: string | null } }>({ index, query: { terms: { 'entity.brand.lower': ['APPLE'] } } })
    expect(found.hits.hits.map((hit) => hit._source?.entity.brand)).toStrictEqual(['Apple'])
  } finally {
    await client.indices.delete({ index, ignore_unavailable: true }).catch(() => {})
    await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch(() => {})
    await client.close()
  }
})

test('503 for the request and 429 for one item are retried, with backoff, until every document is in', async () => {
  const bodies: string[] = []
  let call = 0
  let deletes = 0
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => { body += chunk.toString() })
    request.on('end', () => {
      const headers = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' }
      if (request.url?.includes('/_search') === true) {
        deletes++
        response.writeHead(200, headers)
        response.end(JSON.stringify({ took: 1, timed_out: false, hits: { total: { value: 0, relation: 'eq' }, hits: [] } }))
        return
      }
      call++
      bodies.push(body)
      const ops = body.trim().split('\n').filter((_, i) => i % 2 === 0).map((line) => JSON.parse(line) as { index: { _id: string } })
      if (call === 1) {
        response.writeHead(503, headers)
        response.end(JSON.stringify({ error: { type: 'unavailable_shards_exception' }, status: 503 }))
        return
      }
      const items = ops.map((op, i) => ({ index: { _id: op.index._id, status: call === 2 && i === 0 ? 429 : 201, ...(call === 2 && i === 0 ? { error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } : {}) } }))
      response.writeHead(200, headers)
      response.end(JSON.stringify({ took: 1, errors: call === 2, items }))
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0 })
  const kinds: string[] = []
  try {
    const sink = sinkFor(client, 'gs-fake', { onError: (kind) => { kinds.push(kind) } })
    const outcomes = await sink.write(await typed([makeWork(1)]), new AbortController().signal)
    expect(outcomes).toStrictEqual([{ ok: true, documents: 6 }])
    expect(call).toBe(3)
    expect(kinds).toStrictEqual(['http_503', 'item_429'])
    expect(bodies[2]?.trim().split('\n').length, 'only the throttled document is sent again').toBe(2)
    expect(deletes, 'older generations of the post are looked up once, after its documents are in').toBe(1)
  } finally {
    await client.close()
    server.close()
  }
})

test('an unreachable node: retried with the budget (0: tried once), then a coded error with the attempt count; abort ends an unbounded wait', async () => {
  const client = new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 2000 })
  const kinds: string[] = []
  try {
    const sink = sinkFor(client, 'gs-down', { maxRetries: 2, onError: (kind) => { kinds.push(kind) } })
    const error = await sink.write(await typed([makeWork(1)]), new AbortController().signal).catch((e: unknown) => e)
    expect((error as { code?: string }).code).toBe('GS_ERR_SINK')
    expect((error as { details?: { attempts?: number } }).details?.attempts).toBe(3)
    expect(kinds).toStrictEqual(['connection', 'connection', 'connection'])

    const onceKinds: string[] = []
    const once = sinkFor(client, 'gs-down', { maxRetries: 0, onError: (kind) => { onceKinds.push(kind) } })
    const onceError = await once.write(await typed([makeWork(1)]), new AbortController().signal).catch((e: unknown) => e)
    expect((onceError as { code?: string }).code).toBe('GS_ERR_SINK')
    expect(onceKinds).toEqual(['connection'])

    const forever = sinkFor(client, 'gs-down', { maxRetries: Infinity })
    const controller = new AbortController()
    setTimeout(() => { controller.abort() }, 200)
    const started = Date.now()
    await expect(forever.write(await typed([makeWork(1)]), controller.signal)).rejects.toThrow()
    expect(Date.now() - started < 5000).toBeTruthy()
  } finally {
    await client.close()
  }
})
