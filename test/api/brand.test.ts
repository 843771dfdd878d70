// Brands behind products (issue 27 goal 2) on both backends: a mention linked
// to a catalogue product carries its brand (entity.brand), a catalogue brand
// is its own brand, and the API filters (`brand=`, case-insensitive), counts
// (timeline), ranks (trending `by=brand`) and summarises by it alike on the
// real Elasticsearch and the embedded store.
import { describe, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { repoPath } from '../deploy/helpers.js'
import { T0, brandDocuments } from './fixtures.js'
import { backendHarness, type BackendName } from './harness.js'

interface Mention { post_id: string, entity: Record<string, unknown> & { text: string, brand: string | null } }
interface Ranked { entity: string, brand: string | null, text: string | null, type: string | null, canonical_id: string | null, current: number, previous: number }

const BACKENDS: readonly BackendName[] = ['elasticsearch', 'embedded']

for (const backend of BACKENDS) describe(`brands on ${backend}`, () => {
  const need = backendHarness(backend, { docs: brandDocuments, mediaDir: repoPath('samples/images'), now: T0 })

  test('mentions and posts: brand= finds the brand and its products, in any case', async (t) => {
    const h = need(t)
    if (h === null) return
    const apple = (await h.get('/api/v1/mentions?brand=APPLE&size=100')).body.mentions as Mention[]
    // Newest post first; within a post the order is the ids', so compared as a set.
    expect(apple.map((m) => m.post_id)).toStrictEqual(['b01', 'b02', 'b02', 'b03', 'b06'])
    expect(apple.map((m) => `${m.post_id} ${m.entity.text} · ${String(m.entity.brand)}`).sort()).toStrictEqual(['b01 iPhone 15 · Apple', 'b02 Apple · Apple', 'b02 iPhone · Apple', 'b03 AirPods · Apple', 'b06 Apple · Apple'])
    expect(((await h.get('/api/v1/mentions?brand=apple,nike&size=100')).body.mentions as Mention[]).length).toBe(10)
    expect(((await h.get('/api/v1/mentions?brand=apple&brand=Nike&size=100')).body.mentions as Mention[]).length, 'repeated like every list').toBe(10)
    const nikeItself = (await h.get('/api/v1/mentions?brand=nike&type=ORG&size=100')).body.mentions as Mention[]
    expect(nikeItself.map((m) => m.post_id)).toStrictEqual(['b04', 'b07'])
    expect((await h.get('/api/v1/mentions?brand=Samsung')).body.mentions).toStrictEqual([])
    const paris = (await h.get('/api/v1/mentions?entity=paris&size=1')).body.mentions as Mention[]
    expect(paris[0]?.entity.brand, 'a place has no brand').toBe(null)
    const posts = (await h.get('/api/v1/posts?brand=Nike')).body.posts as Array<{ post_id: string, entities: Array<{ text: string, brand: string | null }> }>
    expect(posts.map((p) => p.post_id)).toStrictEqual(['b04', 'b05', 'b07'])
    expect(posts[0]?.entities.map((e) => [e.text, e.brand]), 'a post still shows all its mentions').toStrictEqual([['Nike', 'Nike'], ['Air Max', 'Nike'], ['Paris', null]])
  })

  test('timeline: a brand counts its own mentions and its products\'', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/timeline?brand=apple&from=2026-01-10T10:00:00Z&to=2026-01-10T12:00:00Z&interval=1h')
    expect(status).toBe(200)
    expect(body.buckets).toStrictEqual([{ time: '2026-01-10T10:00:00.000Z', count: 1 }, { time: '2026-01-10T11:00:00.000Z', count: 4 }])
    expect(body.total).toBe(5)
    const entityOnly = await h.get('/api/v1/timeline?entity=apple&from=2026-01-10T10:00:00Z&to=2026-01-10T12:00:00Z&interval=1h')
    expect(entityOnly.body.total, 'the entity alone is the brand\'s own mentions').toBe(2)
  })

  test('trending: by=brand ranks brands with their products; entity rows carry their brand', async (t) => {
    const h = need(t)
    if (h === null) return
    const brands = (await h.get('/api/v1/trending?by=brand&window=1h&at=2026-01-10T12:00:00Z&min_count=1')).body.entities as Ranked[]
    expect(brands.map((b) => [b.entity, b.brand, b.current, b.previous]), 'Nike (2 vs 3) is not rising').toStrictEqual([['apple', 'Apple', 4, 1]])
    expect([brands[0]?.text, brands[0]?.type, brands[0]?.canonical_id], 'the most frequent values of the group (ties: smallest)').toStrictEqual(['Apple', 'OTHER', 'gs:apple'])
    const entities = (await h.get('/api/v1/trending?window=1h&at=2026-01-10T12:00:00Z&min_count=1')).body.entities as Ranked[]
    expect(entities.map((e) => [e.entity, e.brand])).toStrictEqual([['paris', null], ['airpods', 'Apple'], ['iphone', 'Apple'], ['iphone 15', 'Apple']])
    const appleOnly = (await h.get('/api/v1/trending?brand=Apple&window=1h&at=2026-01-10T12:00:00Z&min_count=1')).body.entities as Ranked[]
    expect(appleOnly.map((e) => e.entity)).toStrictEqual(['airpods', 'iphone', 'iphone 15'])
  })

  test('co-occurring: a brand as the subject, its products not counted as others', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, body } = await h.get('/api/v1/cooccurring?brand=apple&from=2026-01-10T09:00:00Z&to=2026-01-10T12:00:00Z')
    expect(status).toBe(200)
    expect(body.posts_considered).toBe(4)
    expect((body.entities as Array<{ entity: string, posts: number, brand: string | null }>).map((e) => [e.entity, e.posts, e.brand])).toStrictEqual([['paris', 1, null]])
    const nike = await h.get('/api/v1/cooccurring?brand=nike&from=2026-01-10T09:00:00Z&to=2026-01-10T12:00:00Z')
    expect((nike.body.entities as Array<{ entity: string }>).map((e) => e.entity)).toStrictEqual(['marathon', 'paris'])
  })

  test('invalid brand requests are refused with the problem named', async (t) => {
    const h = need(t)
    if (h === null) return
    const cases: Array<[string, RegExp]> = [
      [`/api/v1/mentions?brand=${'x'.repeat(600)}`, /brand/],
      [`/api/v1/timeline?brand=${Array.from({ length: 21 }, (_, i) => `b${i}`).join(',')}`, /brand/],
      ['/api/v1/trending?by=product', /by/],
      ['/api/v1/trending?by=brand&by=entity', /by: give it only once/],
      ['/api/v1/cooccurring?type=ORG', /entity, canonical_id or brand is required/]
    ]
    for (const [path, pattern] of cases) {
      const { status, body } = await h.get(path)
      expect(status, path).toBe(400)
      expect(((body.error as { problems: string[] }).problems).join(' | '), path).toMatch(pattern)
    }
  })

  test('answers name exactly the fields the OpenAPI document describes', async (t) => {
    const h = need(t)
    if (h === null) return
    const doc = parseYaml(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8')) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } }
    const documented = (name: string): string[] => Object.keys(doc.components.schemas[name]?.properties ?? {}).sort()
    const mention = ((await h.get('/api/v1/mentions?brand=apple&size=1')).body.mentions as Mention[])[0]
    expect(Object.keys(mention?.entity ?? {}).sort()).toStrictEqual(documented('Entity'))
    const ranked = ((await h.get('/api/v1/trending?by=brand&window=1h&at=2026-01-10T12:00:00Z&min_count=1')).body.entities as Array<Record<string, unknown>>)[0]
    const extra = ['current', 'previous', 'change', 'ratio', 'score']
    expect(Object.keys(ranked ?? {}).filter((key) => !extra.includes(key)).sort()).toStrictEqual(documented('EntitySummary'))
  })
})
