// The search and tracking API over the same fixture on both backends: the
// real Elasticsearch (a fixture index built with the sink's own template and
// document functions) and the embedded SQLite store of `serve --from`. Every
// behaviour test runs against each, so the two stay equal.
import { describe, expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@elastic/elasticsearch'
import { Registry } from 'prom-client'
import { parse as parseYaml } from 'yaml'
import { Validator } from '@seriousme/openapi-schema-validator'
import { API_ROUTES, createApiServer, parseApiConfig, requestSchemas } from '../../src/api/index.js'
import { ROOT, repoPath } from '../deploy/helpers.js'
import { readFileSync } from 'node:fs'
import { backendHarness, type BackendName } from './harness.js'

interface Mention { id: string, post_id: string, entity: { normalised: string, type: string, score: number, canonical_id: string | null }, box: unknown, post: { created_at: string } }

const mentionsOf = (body: Record<string, unknown>): Mention[] => body.mentions as Mention[]

const BACKENDS: readonly BackendName[] = ['elasticsearch', 'embedded']

for (const backend of BACKENDS) describe(`API on ${backend}`, () => {
  const need = backendHarness(backend)

  test('mentions: free text finds the entity by its text and canonical title, best first', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/mentions?q=acme&size=50')
    expect(status).toBe(200)
    const mentions = mentionsOf(body)
    expect(mentions.length).toBe(7)
    expect(mentions.every((m) => m.entity.normalised === 'acme')).toBeTruthy()
    expect(body.total).toStrictEqual({ value: 7, relation: 'eq' })
    const byTitle = await h.get('/api/v1/mentions?q=corporation')
    expect(mentionsOf(byTitle.body).length, 'canonical title "Acme Corporation" matches').toBe(7)
    const postText = await h.get('/api/v1/mentions?text=evening%20news')
    expect([...new Set(mentionsOf(postText.body).map((m) => m.post_id))]).toStrictEqual(['p04'])
  })

  test('mentions: filters by canonical id, type, time range, has-box and minimum score', async (t) => {
    const h = need(t)
    if (h === null) return
    const all = mentionsOf((await h.get('/api/v1/mentions?size=100')).body)
    expect(all.length).toBe(h.docs.length)
    // Newest first by default.
    const times = all.map((m) => m.post.created_at)
    expect(times).toStrictEqual([...times].sort().reverse())

    const paris = mentionsOf((await h.get('/api/v1/mentions?canonical_id=Q90&size=100')).body)
    expect(paris.length).toBe(6)
    const types = mentionsOf((await h.get('/api/v1/mentions?type=PER,OTHER&size=100')).body)
    expect(new Set(types.map((m) => m.entity.type))).toStrictEqual(new Set(['PER', 'OTHER']))
    expect(types.length).toBe(5)
    const repeated = mentionsOf((await h.get('/api/v1/mentions?type=PER&type=OTHER&size=100')).body)
    expect(repeated.length).toBe(5)
    const hashtags = (await h.get('/api/v1/mentions?mention_kind=hashtag&size=100')).body as { mentions: Array<{ entity: { text: string, mention_kind: string, canonical_description: string | null } }> }
    expect(hashtags.mentions.map((m) => [m.entity.text, m.entity.mention_kind])).toStrictEqual([['#Acme', 'hashtag']])
    expect(hashtags.mentions[0]?.entity.canonical_description).toBe('Fictional maker of everything, the demo brand')

    const boxed = mentionsOf((await h.get('/api/v1/mentions?has_box=true&size=100')).body)
    expect(boxed.length).toBe(4)
    expect(boxed.every((m) => m.box !== null)).toBeTruthy()
    const unboxed = mentionsOf((await h.get('/api/v1/mentions?has_box=false&size=100')).body)
    expect(unboxed.length).toBe(h.docs.length - 4)

    const confident = mentionsOf((await h.get('/api/v1/mentions?min_score=0.9&size=100')).body)
    expect(confident.length > 0 && confident.every((m) => m.entity.score >= 0.9)).toBeTruthy()
    expect(confident.length).toBe(h.docs.filter((d) => d.entity.score >= 0.9).length)

    const lastHalfHour = mentionsOf((await h.get('/api/v1/mentions?from=2026-01-10T11:30:00Z&to=2026-01-10T12:00:00Z&size=100')).body)
    expect(new Set(lastHalfHour.map((m) => m.post_id))).toStrictEqual(new Set(['p01', 'p02', 'p03']))

    const entity = mentionsOf((await h.get('/api/v1/mentions?entity=%23ACME&size=100')).body)
    expect(entity.length, 'entity is normalised like the index (#, case)').toBe(7)
  })

  test('mentions: search_after pagination walks every hit once, in order', async (t) => {
    const h = need(t)
    if (h === null) return
    for (const sort of ['recent', 'score']) {
      const whole: string[] = mentionsOf((await h.get(`/api/v1/mentions?size=100&sort=${sort}`)).body).map((m) => m.id)
      const walked: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const response: { status: number, body: Record<string, unknown> } = await h.get(`/api/v1/mentions?size=3&sort=${sort}${cursor === null ? '' : `&cursor=${cursor}`}`)
        expect(response.status).toBe(200)
        walked.push(...mentionsOf(response.body).map((m) => m.id))
        cursor = response.body.next as string | null
        pages++
      } while (cursor !== null && pages < 20)
      expect(walked, `sort=${sort}`).toStrictEqual(whole)
      expect(new Set(walked).size).toBe(h.docs.length)
      expect(pages).toBe(Math.ceil(h.docs.length / 3))
    }
    const first = await h.get('/api/v1/mentions?size=3&sort=recent')
    const wrongSort = await h.get(`/api/v1/mentions?size=3&sort=score&cursor=${String(first.body.next)}`)
    expect(wrongSort.status).toBe(400)
    expect(String((wrongSort.body.error as { message: string }).message)).toMatch(/cursor/)
  })

  test('timeline: counts per interval, empty buckets included, limits enforced', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/timeline?entity=acme&from=2026-01-10T10:00:00Z&to=2026-01-10T12:00:00Z&interval=30m')
    expect(status).toBe(200)
    expect(body.interval).toBe('30m')
    expect(body.buckets).toStrictEqual([
      { time: '2026-01-10T10:00:00.000Z', count: 1 },
      { time: '2026-01-10T10:30:00.000Z', count: 0 },
      { time: '2026-01-10T11:00:00.000Z', count: 3 },
      { time: '2026-01-10T11:30:00.000Z', count: 3 }
    ])
    expect(body.total).toBe(7)
    // Default range: the 7 days before now (T0), auto interval.
    const auto = await h.get('/api/v1/timeline?canonical_id=Q-acme')
    expect(auto.status).toBe(200)
    expect(auto.body.interval).toBe('3h')
    expect((auto.body.buckets as Array<{ count: number }>).reduce((s, b) => s + b.count, 0)).toBe(7)
    const tooFine = await h.get('/api/v1/timeline?entity=acme&from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z&interval=1m')
    expect(tooFine.status).toBe(400)
    expect(JSON.stringify(tooFine.body)).toMatch(/buckets/)
    const tooLong = await h.get('/api/v1/timeline?entity=acme&from=2020-01-01T00:00:00Z&to=2026-01-10T00:00:00Z&interval=7d')
    expect(tooLong.status).toBe(400)
    expect(JSON.stringify(tooLong.body)).toMatch(/at most 90 days/)
    const reversed = await h.get('/api/v1/timeline?from=2026-01-10T12:00:00Z&to=2026-01-10T10:00:00Z')
    expect(reversed.status).toBe(400)
  })

  test('trending: rising entities in the window vs the previous window', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/trending?window=1h&at=2026-01-10T12:00:00Z')
    expect(status).toBe(200)
    const entities = body.entities as Array<{ entity: string, current: number, previous: number, type: string, canonical_id: string | null, text: string }>
    expect(entities.map((e) => [e.entity, e.current, e.previous]), 'the default min_count (3) leaves out alice smith (2 vs 0)').toStrictEqual([['acme', 6, 1]])
    expect(entities[0]?.type).toBe('ORG')
    expect(entities[0]?.canonical_id).toBe('Q-acme')
    expect(body.window).toStrictEqual({ from: '2026-01-10T11:00:00.000Z', to: '2026-01-10T12:00:00.000Z' })
    const two = await h.get('/api/v1/trending?window=1h&at=2026-01-10T12:00:00Z&min_count=2')
    const ranked = two.body.entities as Array<{ entity: string, score: number, ratio: number }>
    expect(ranked.map((e) => [e.entity, e.score]), 'ranked by the z-score of current against previous').toStrictEqual([['acme', 1.8898], ['alice smith', 1.4142]])
    // Defaults to now (the harness clock is T0); min_count and type filter apply.
    const people = await h.get('/api/v1/trending?type=PER&min_count=1')
    expect((people.body.entities as Array<{ entity: string }>).map((e) => e.entity)).toStrictEqual(['alice smith'])
    const later = await h.get('/api/v1/trending?window=1h&at=2026-01-10T13:00:00Z')
    expect(later.body.entities, 'nothing rises in an empty window').toStrictEqual([])
  })

  test('co-occurring: entities sharing posts with an entity, by posts', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/cooccurring?entity=acme&from=2026-01-10T09:00:00Z&to=2026-01-10T12:00:00Z')
    expect(status).toBe(200)
    expect(body.posts_considered).toBe(7)
    const entities = body.entities as Array<{ entity: string, posts: number }>
    expect(entities.slice(0, 2).map((e) => [e.entity, e.posts])).toStrictEqual([['paris', 4], ['alice smith', 2]])
    expect(new Set(entities.slice(2).map((e) => e.entity))).toStrictEqual(new Set(['lyon', 'old news']))
    expect(!entities.some((e) => e.entity === 'acme')).toBeTruthy()
    const byId = await h.get('/api/v1/cooccurring?canonical_id=Q-acme&type=PER&from=2026-01-10T09:00:00Z&to=2026-01-10T12:00:00Z')
    expect((byId.body.entities as Array<{ entity: string }>).map((e) => e.entity)).toStrictEqual(['alice smith'])
    const missing = await h.get('/api/v1/cooccurring?type=PER')
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.body)).toMatch(/entity, canonical_id or brand is required/)
  })

  test('posts: recent posts, each with all its mentions and image', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/posts?size=4')
    expect(status).toBe(200)
    const posts = body.posts as Array<{ post_id: string, entities: Array<{ normalised: string, box: unknown }>, image: { url: string | null, status: string } }>
    expect(posts.map((p) => p.post_id)).toStrictEqual(['p01', 'p02', 'p03', 'p04'])
    expect(posts[1]?.entities.map((e) => e.normalised)).toStrictEqual(['alice smith', 'acme'])
    expect(posts[0]?.image.status).toBe('ok')
    expect(posts[0]?.image.url?.endsWith('/media/storefront.png')).toBeTruthy()
    expect(body.total).toStrictEqual({ value: 11, relation: 'eq' })
    expect(typeof body.next === 'string').toBeTruthy()
    const spec = parseYaml(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8')) as { components: { schemas: { PostsAnswer: { required: string[], properties: Record<string, unknown> } } } }
    expect(Object.keys(body).sort(), 'the answer has the documented fields').toStrictEqual(Object.keys(spec.components.schemas.PostsAnswer.properties).sort())
    expect([...spec.components.schemas.PostsAnswer.required].sort()).toStrictEqual(Object.keys(body).sort())
    const next = await h.get(`/api/v1/posts?size=4&cursor=${String(body.next)}`)
    expect((next.body.posts as Array<{ post_id: string }>).map((p) => p.post_id)).toStrictEqual(['p05', 'p06', 'p07', 'p08'])
    expect(next.body.total, 'the total counts every matching post, not what is left').toStrictEqual({ value: 11, relation: 'eq' })
    // A filter picks posts; the post still shows all of its mentions.
    const people = await h.get('/api/v1/posts?type=PER')
    const withPeople = people.body.posts as Array<{ post_id: string, entities: unknown[] }>
    expect(withPeople.map((p) => p.post_id)).toStrictEqual(['p02', 'p04'])
    expect(withPeople[0]?.entities.length).toBe(2)
    const image = await fetch(String(posts[0]?.image.url))
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/png')
  })

  test('posts: paging by cursor gives every post exactly once, newest first, and next is null at the end', async (t) => {
    const h = need(t)
    if (h === null) return
    const expected = [...new Set(h.docs.map((d) => d.post_id))].sort().map((id) => [id, h.docs.find((d) => d.post_id === id)?.post.created_at ?? ''] as const)
      .sort((a, b) => b[1].localeCompare(a[1]) || a[0].localeCompare(b[0])).map(([id]) => id)
    for (const size of [1, 3, 11]) {
      const walked: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const response: { status: number, body: Record<string, unknown> } = await h.get(`/api/v1/posts?size=${size}${cursor === null ? '' : `&cursor=${cursor}`}`)
        expect(response.status).toBe(200)
        expect(response.body.total).toStrictEqual({ value: expected.length, relation: 'eq' })
        walked.push(...(response.body.posts as Array<{ post_id: string }>).map((p) => p.post_id))
        cursor = response.body.next as string | null
        pages++
      } while (cursor !== null && pages < 20)
      expect(walked, `size=${size}`).toStrictEqual(expected)
      expect(pages, `size=${size}: no empty last page`).toBe(Math.ceil(expected.length / size))
    }
    // A filter pages too; its cursor continues the filtered list.
    const first = await h.get('/api/v1/posts?entity=paris&size=4')
    expect(first.body.total).toStrictEqual({ value: 6, relation: 'eq' })
    const rest = await h.get(`/api/v1/posts?entity=paris&size=4&cursor=${String(first.body.next)}`)
    expect((rest.body.posts as Array<{ post_id: string }>).map((p) => p.post_id)).toStrictEqual(['p10', 'p11'])
    expect(rest.body.next).toBe(null)
    // A mentions cursor is not a posts cursor, and the old `before` is gone.
    const mentions = await h.get('/api/v1/mentions?size=2')
    const wrong = await h.get(`/api/v1/posts?cursor=${String(mentions.body.next)}`)
    expect(wrong.status).toBe(400)
    expect((wrong.body.error as { message: string }).message).toMatch(/cursor: not a cursor for the posts list/)
    expect((await h.get('/api/v1/posts?before=2026-01-10T11:00:00Z')).status).toBe(400)
  })

  test('post text: phrases, AND/OR/NOT and a leading -, the same on both backends', async (t) => {
    const h = need(t)
    if (h === null) return
    const posts = async (text: string): Promise<string[]> => {
      const { status, body } = await h.get(`/api/v1/posts?size=50&text=${encodeURIComponent(text)}`)
      expect(status, text).toBe(200)
      return (body.posts as Array<{ post_id: string }>).map((p) => p.post_id)
    }
    expect(await posts('"old news"')).toStrictEqual(['p08', 'p09', 'p10'])
    expect(await posts('news -old')).toStrictEqual(['p04'])
    expect(await posts('news NOT "old news"')).toStrictEqual(['p04'])
    expect(await posts('"news paris"'), 'a phrase crosses punctuation, as the analyzers drop it').toStrictEqual(['p10'])
    expect(await posts('tower OR merger')).toStrictEqual(['p07', 'p08'])
    expect(await posts('paris AND (acme OR lyon) NOT rumour')).toStrictEqual(['p01', 'p03', 'p05'])
    expect(await posts('NOT paris')).toStrictEqual(['p02', 'p04', 'p06', 'p07', 'p08'])
    expect(await posts('paris and lyon'), 'lower-case and is a word').toStrictEqual(['p05'])
    expect(await posts('#acme')).toStrictEqual(['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p10'])
    // The same filter on mentions and the timeline; with an entity filter it narrows mentions.
    const mentions = await h.get(`/api/v1/mentions?size=50&text=${encodeURIComponent('"old news" -merger')}&entity=paris`)
    expect(mentionsOf(mentions.body).map((m) => m.post_id)).toStrictEqual(['p09', 'p10'])
    const timeline = await h.get(`/api/v1/timeline?text=${encodeURIComponent('"old news"')}&from=2026-01-10T10:00:00Z&to=2026-01-10T12:00:00Z`)
    expect(timeline.body.total).toBe(6)
    for (const [text, message] of [['"old news', /text: the quote at character 1 is not closed/], ['acme AND', /text: a word or "phrase" after AND is missing/], ['(acme', /text: a \( is not closed/], ['!!', /text: the query has no words/]] as const) {
      const { status, body } = await h.get(`/api/v1/posts?text=${encodeURIComponent(text)}`)
      expect(status, text).toBe(400)
      expect((body.error as { code: string }).code).toBe('GS_ERR_API_INVALID')
      expect((body.error as { message: string }).message, text).toMatch(message)
    }
  })

  test('invalid requests get clear JSON errors listing every problem', async (t) => {
    const h = need(t)
    if (h === null) return
    const cases: Array<[string, RegExp]> = [
      ['/api/v1/mentions?size=1000', /size/],
      ['/api/v1/mentions?sort=random', /sort/],
      ['/api/v1/mentions?type=PERSON', /type/],
      ['/api/v1/mentions?from=yesterday', /from/],
      ['/api/v1/mentions?bogus=1&size=0', /unknown parameter\(s\): bogus.*size|size.*unknown parameter\(s\): bogus/],
      ['/api/v1/mentions?size=5&size=6', /size: give it only once/],
      ['/api/v1/mentions?cursor=not-a-cursor', /cursor/],
      ['/api/v1/posts?cursor=not-a-cursor', /cursor/],
      ['/api/v1/mentions?min_score=2', /min_score/],
      ['/api/v1/mentions?has_box=maybe', /has_box/],
      [`/api/v1/mentions?q=${'x'.repeat(300)}`, /q/],
      ['/api/v1/trending?window=1y', /window/],
      ['/api/v1/trending?window=90d', /window may be at most/]
    ]
    for (const [path, pattern] of cases) {
      const { status, body, headers } = await h.get(path)
      expect(status, path).toBe(400)
      expect(headers.get('content-type') ?? '').toMatch(/application\/json/)
      const error = body.error as { code: string, message: string, problems: string[] }
      expect(error.code, path).toBe('GS_ERR_API_INVALID')
      expect(error.problems.join(' | '), path).toMatch(pattern)
    }
    const missing = await h.get('/api/v1/nothing')
    expect(missing.status).toBe(404)
    expect((missing.body.error as { code: string }).code).toBe('GS_ERR_NOT_FOUND')
  })

  test('extent: the clock the API answers by and the span of the data', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/extent')
    expect(status).toBe(200)
    expect(body).toStrictEqual({ now: '2026-01-10T12:00:00.000Z', documents: h.docs.length, first: '2026-01-10T10:10:00.000Z', last: '2026-01-10T11:55:00.000Z' })
    expect((await h.get('/api/v1/extent?x=1')).status).toBe(400)
  })

  test('health, readiness, metrics and the OpenAPI document are served', async (t) => {
    const h = need(t)
    if (h === null) return
    expect((await h.get('/healthz')).body).toStrictEqual({ status: 'ok' })
    const ready = await h.get('/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body.index).toBe(true)
    expect(ready.body.backend).toBe(backend)
    expect((await h.get('/api/v1/mentions?size=1')).status).toBe(200)
    const metrics = await fetch(`${h.server.url}/metrics`)
    const text = await metrics.text()
    expect(text).toMatch(/groundstream_api_requests_total\{route="\/api\/v1\/mentions",status="200"\} \d+/)
    expect(text).toMatch(/groundstream_api_request_duration_seconds_bucket/)
    const openapi = await fetch(`${h.server.url}/openapi.yaml`)
    expect(openapi.status).toBe(200)
    expect(await openapi.text()).toMatch(/^openapi: 3\.1\.0/)
  })
})

test('the OpenAPI document is valid OpenAPI 3.1', async () => {
  const validator = new Validator()
  const result = await validator.validate(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8'))
  expect(result).toStrictEqual({ valid: true })
  expect(validator.version).toBe('3.1')
  const broken = await new Validator().validate(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8').replace('in: query', 'in: querystring'))
  expect(broken.valid, 'the validator is live').toBe(false)
})

test('the OpenAPI document lists exactly the served routes and accepted parameters', () => {
  const doc = parseYaml(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8')) as {
    paths: Record<string, { get: { parameters?: Array<{ $ref?: string, name?: string }> } }>
    components: { parameters: Record<string, { name: string }> }
  }
  expect(Object.keys(doc.paths).sort()).toStrictEqual([...API_ROUTES].sort())
  const schemas = requestSchemas(parseApiConfig({}).limits)
  const routeSchemas: Record<string, { shape?: Record<string, unknown>, def?: unknown }> = {
    '/api/v1/mentions': schemas.mentions,
    '/api/v1/timeline': schemas.timeline,
    '/api/v1/trending': schemas.trending,
    '/api/v1/posts': schemas.posts,
    '/api/v1/export': schemas.export
  }
  for (const [path, schema] of Object.entries(routeSchemas)) {
    const documented = (doc.paths[path]?.get.parameters ?? []).map((p) => p.name ?? doc.components.parameters[String(p.$ref).split('/').pop() as string]?.name).sort()
    expect(documented, path).toStrictEqual(Object.keys(schema.shape ?? {}).sort())
  }
  const cooccurring = (doc.paths['/api/v1/cooccurring']?.get.parameters ?? []).map((p) => p.name ?? doc.components.parameters[String(p.$ref).split('/').pop() as string]?.name).sort()
  expect(cooccurring).toStrictEqual(['brand', 'canonical_id', 'entity', 'from', 'size', 'to', 'type'])
})

test('limits: a stalled cluster gives 504 at the deadline, and searches past the pool get 503 at once', async () => {
  // A stand-in Elasticsearch that accepts connections and never answers.
  const pending: Array<() => void> = []
  const stalled: Server = createServer((_request, response) => { pending.push(() => response.destroy()) })
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`
  const client = new Client({ node: url, maxRetries: 0 })
  const config = parseApiConfig({ host: '127.0.0.1', port: 0, elasticsearch: { url }, limits: { requestTimeoutMs: 400, maxConcurrentSearches: 1 } })
  const server = await createApiServer(config, { client, registry: new Registry(), root: ROOT })
  try {
    const slow = fetch(`${server.url}/api/v1/mentions`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const started = Date.now()
    const rejected = await fetch(`${server.url}/api/v1/trending`)
    expect(rejected.status).toBe(503)
    expect(rejected.headers.get('retry-after')).toBe('1')
    expect(Date.now() - started < 300, 'rejected without waiting').toBeTruthy()
    expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe('GS_ERR_OVERLOADED')
    const timedOut = await slow
    expect(timedOut.status).toBe(504)
    expect(((await timedOut.json()) as { error: { code: string } }).error.code).toBe('GS_ERR_TIMEOUT')
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(503)
  } finally {
    await server.close()
    await client.close()
    for (const drop of pending) drop()
    stalled.closeAllConnections()
    await new Promise<void>((resolve) => stalled.close(() => resolve()))
  }
})

test('embedded store: skips lines that are not entity documents, and a repeated id replaces the earlier document', async () => {
  const { EmbeddedSearch, parseApiConfig: parse } = await import('../../src/api/index.js')
  const { fixtureDocuments, T0 } = await import('./fixtures.js')
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'gs-embedded-store-'))
  const search = await EmbeddedSearch.open({ limits: parse({}).limits, now: () => T0 })
  try {
    const docs = fixtureDocuments('/media')
    const first = docs[0]
    assert.ok(first !== undefined)
    const renamed = { ...first, entity: { ...first.entity, text: 'Renamed', normalised: 'renamed' } }
    const file = join(dir, 'entities.jsonl')
    writeFileSync(file, [...docs.map((d) => JSON.stringify(d)), '{"cut off', '{"id": 1}', '', JSON.stringify(renamed)].join('\n'))
    const loaded = await search.loadFile(file)
    expect({ documents: loaded.documents, skipped: loaded.skipped, lines: loaded.lines }).toStrictEqual({ documents: docs.length + 1, skipped: 2, lines: docs.length + 3 })
    expect(loaded.firstSkipped.map((s) => [s.line, s.reason.split(' (')[0]])).toStrictEqual([[docs.length + 1, 'not JSON'], [docs.length + 2, 'not an entity document']])
    const extent = await search.extent()
    expect(extent.documents).toBe(docs.length)
    const answer = await search.mentions({ entity: ['renamed'], size: 10 })
    expect(answer.mentions.map((m) => m.id)).toStrictEqual([first.id])
    expect((await search.mentions({ q: 'renamed', size: 10 })).mentions.length, 'the full-text row follows the replacement').toBe(1)
  } finally {
    await search.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
