import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { entityIndexKey } from '../../src/contracts/index.js'
import { documentBrand, documentId, toEntityDocuments } from '../../src/sinks/index.js'
import { makeWork } from '../pipeline/fakes.js'

const models = { stage1: 's1-v1', stage2: 's2-v1' }

function typedWork () {
  const work = makeWork(7, { image_urls: ['https://img.example/a.jpg'], url: 'https://posts.example/7', author: { id: 'a1', handle: 'maria' } })
  work.image = { url: 'https://img.example/a.jpg', status: 'ok', width: 640, height: 480, description: '', regions: [] }
  const candidate = { postId: work.post.id, text: 'Maria Lopez', start: 8, end: 19, wordStart: 2, wordEnd: 4, score: 0.91 }
  const hashtag = { postId: work.post.id, text: '#Run0', start: 45, end: 50, wordStart: 9, wordEnd: 10, score: 0.7, kind: 'hashtag' as const, query: 'Run 0' }
  work.entities = [
    { candidate, type: 'PER', typeScore: 0.88, knowledge: { key: 'maria lopez', canonicalId: 'Q1', title: 'Maria López', text: '', source: 'catalogue' }, link: { id: 'Q1', title: 'Maria López', description: 'Fictional runner', source: 'catalogue' }, grounding: { box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 }, label: 'person', score: 0.77, reason: 'obj_head' } },
    // Knowledge in the prompt without a trusted link: no canonical id.
    { candidate: hashtag, type: 'OTHER', typeScore: 0.6, knowledge: { key: 'run 0', canonicalId: 'wordnet:n1', title: 'run', text: 'run: a race', source: 'wordnet' }, link: null, grounding: null },
    { candidate: { ...candidate }, type: 'ORG', typeScore: 0.5, knowledge: null, grounding: null }
  ]
  return work
}

test('one document per mention span, every mapped field filled from the work item', () => {
  const docs = toEntityDocuments(typedWork(), models, '2026-11-21T08:00:00.000Z')
  expect(docs.length, 'a second mention on the same span is dropped (it would overwrite)').toBe(2)
  const [person, tag] = docs
  expect(person).toStrictEqual({
    id: documentId('post-00007', 8, 19),
    post_id: 'post-00007',
    entity: { text: 'Maria Lopez', normalised: 'maria lopez', mention_kind: 'text', type: 'PER', score: 0.88, span_score: 0.91, start: 8, end: 19, canonical_id: 'Q1', canonical_title: 'Maria López', canonical_description: 'Fictional runner', knowledge_source: 'catalogue', brand: null },
    box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4, label: 'person', score: 0.77, reason: 'obj_head' },
    image: { url: 'https://img.example/a.jpg', width: 640, height: 480, status: 'ok' },
    post: { text: person?.post.text, text_length: person?.post.text.length, truncated: false, truncated_by: [], created_at: person?.post.created_at, author_id: 'a1', author_handle: 'maria', language: 'en', url: 'https://posts.example/7', source: null },
    models,
    processed_at: '2026-11-21T08:00:00.000Z'
  })
  expect(tag?.box).toBe(null)
  expect(tag?.entity.normalised).toBe('run0')
  expect(tag?.entity.mention_kind).toBe('hashtag')
  expect(tag?.entity.text, 'the surface stays as written').toBe('#Run0')
  expect([tag?.entity.canonical_id, tag?.entity.canonical_title, tag?.entity.canonical_description], 'prompt knowledge alone is no identity').toStrictEqual([null, null, null])
  expect(tag?.entity.knowledge_source).toBe('wordnet')
})

test('ids depend on post id and span only: a replay (or a retyped mention) overwrites', () => {
  const a = toEntityDocuments(typedWork(), models, '2026-01-01T00:00:00Z').map((d) => d.id)
  const b = toEntityDocuments(typedWork(), { stage1: 'new', stage2: 'new' }, '2027-01-01T00:00:00Z').map((d) => d.id)
  expect(a).toStrictEqual(b)
  expect(documentId('p', 1, 2)).not.toBe(documentId('p', 1, 3))
  expect(documentId('p1', 1, 2), 'the separator keeps fields apart').not.toBe(documentId('p', 11, 2))
  expect(documentId('p', 1, 2)).toMatch(/^[A-Za-z0-9_-]{43}$/)
})

test('normalised text: NFKC, no leading #/@, single spaces, lower case', () => {
  expect(entityIndexKey('  @ＮＡＳＡ  Ames ')).toBe('nasa ames')
  expect(entityIndexKey('#ParisFashionWeek')).toBe('parisfashionweek')
})

test('brand: a product carries its link\'s brand, a catalogue brand is its own brand, anything else none', () => {
  const work = typedWork()
  const [person, tag] = work.entities
  assert.ok(person !== undefined && tag !== undefined)
  const product = { postId: work.post.id, text: 'iPhone 15', start: 20, end: 29, wordStart: 4, wordEnd: 6, score: 0.9 }
  const brand = { postId: work.post.id, text: 'Apple', start: 30, end: 35, wordStart: 6, wordEnd: 7, score: 0.9 }
  const wiki = { postId: work.post.id, text: 'Acme', start: 36, end: 40, wordStart: 7, wordEnd: 8, score: 0.9 }
  work.entities = [
    person,
    tag,
    { candidate: product, type: 'OTHER', typeScore: 0.9, knowledge: null, grounding: null, link: { id: 'gs:iphone', title: 'iPhone', description: "Apple's smartphone line", source: 'catalogue', brand: 'Apple' } },
    { candidate: brand, type: 'ORG', typeScore: 0.95, knowledge: null, grounding: null, link: { id: 'gs:apple', title: 'Apple', description: 'technology company', source: 'catalogue' } },
    { candidate: wiki, type: 'ORG', typeScore: 0.95, knowledge: null, grounding: null, link: { id: 'wikidata:Q1', title: 'Acme', description: 'a company', source: 'wikipedia' } }
  ]
  const brands = toEntityDocuments(work, models, '2026-11-21T08:00:00.000Z').map((doc) => [doc.entity.text, doc.entity.brand])
  expect(brands, 'a person in the catalogue is no brand; an organisation known only to Wikipedia is not a tracked brand; no link, no brand').toStrictEqual([
    ['Maria Lopez', null],
    ['#Run0', null],
    ['iPhone 15', 'Apple'],
    ['Apple', 'Apple'],
    ['Acme', null]
  ])
  expect(documentBrand('OTHER', { title: 'Nike Store Paris', source: 'catalogue', brand: 'Nike' }), 'a store names its chain').toBe('Nike')
  expect(documentBrand('ORG', { title: 'Beats', source: 'catalogue', brand: 'Apple' }), 'an ORG with a parent brand names the parent').toBe('Apple')
  expect(documentBrand('ORG', null)).toBe(null)
})
