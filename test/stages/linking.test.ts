import { expect, test } from 'vitest'
import type { Candidate, LinkOption } from '../../src/contracts/index.js'
import { chooseLink, decideTagType } from '../../src/stages/index.js'
import type { TypeResult } from '../../src/stages/index.js'
import { createCatalogueSource } from '../../src/knowledge-cache/index.js'
import { toEntityDocuments } from '../../src/sinks/index.js'
import { makeWork } from '../pipeline/fakes.js'

const decision = { ambiguousMinScore: 0.8 }

function mention (text: string, kind: Candidate['kind'] = 'text'): Candidate {
  return { postId: 'p', text, start: 0, end: text.length, wordStart: 0, wordEnd: 1, score: 0.9, kind }
}

const appleInc: LinkOption = { id: 'gs:apple', title: 'Apple', description: 'technology company', type: 'ORG', source: 'catalogue', match: 'name' }
const appleFruit: LinkOption = { id: 'wordnet:n07755101', title: 'apple', description: 'fruit with red or yellow or green skin', type: null, source: 'wordnet', match: 'name' }
const nikeGoddess: LinkOption = { id: 'wordnet:n09590896', title: 'Nike', description: 'goddess of victory', type: 'PER', source: 'wordnet', match: 'name' }
const parisCity: LinkOption = { id: 'geonames:2988507', title: 'Paris', description: 'capital city in France', type: 'LOC', source: 'cities', match: 'name' }
const parisSynset: LinkOption = { id: 'wordnet:n08952341', title: 'Paris', description: 'capital of France', type: 'LOC', source: 'wordnet', match: 'name' }

test('an id only when the source agrees with the predicted type', () => {
  expect(chooseLink([appleInc, appleFruit], mention('Apple'), 'ORG', 0.95, decision)?.id).toBe('gs:apple')
  expect(chooseLink([appleInc, appleFruit], mention('Apple'), 'OTHER', 0.95, decision), 'the fruit has no entity type; the brand is not OTHER').toBe(null)
  expect(chooseLink([appleInc, appleFruit], mention('Apple'), 'PER', 0.99, decision)).toBe(null)
})

test('WordNet never gives a person or an organisation an id: no goddess for Nike, no Sir Francis for Drake', () => {
  expect(chooseLink([nikeGoddess], mention('Nike'), 'PER', 0.99, decision)).toBe(null)
  const group: LinkOption = { ...nikeGoddess, type: 'ORG' }
  expect(chooseLink([group], mention('Nike'), 'ORG', 0.99, decision)).toBe(null)
})

test('typed sources win over WordNet whatever the order they came in', () => {
  expect(chooseLink([parisSynset, parisCity], mention('Paris'), 'LOC', 0.9, decision)?.id).toBe('geonames:2988507')
  expect(chooseLink([parisSynset], mention('Paris'), 'LOC', 0.9, decision)?.id, 'WordNet may name a place when nothing typed does').toBe('wordnet:n08952341')
})

test('an ambiguous name needs a confident, capitalised mention and no common-noun context', () => {
  const options = [appleInc, appleFruit]
  expect(chooseLink(options, mention('Apple'), 'ORG', 0.79, decision), 'below the ambiguous threshold').toBe(null)
  expect(chooseLink(options, mention('apple'), 'ORG', 0.99, decision), 'written as a common noun').toBe(null)
  const pie: LinkOption = { id: 'wordnet:n07625061', title: 'apple pie', description: 'pie with a filling of apples', type: null, source: 'wordnet', match: 'context' }
  expect(chooseLink([...options, pie], mention('Apple'), 'ORG', 0.99, decision), '`Apple pie` is about pie').toBe(null)
  const unambiguous: LinkOption = { ...appleInc, id: 'gs:qantas', title: 'Qantas' }
  expect(chooseLink([unambiguous], mention('qantas'), 'ORG', 0.6, decision)?.id, 'an unambiguous name needs only the type').toBe('gs:qantas')
})

test('an official handle is the entity itself, ambiguous name or not', () => {
  const handle: LinkOption = { ...appleInc, match: 'handle' }
  expect(chooseLink([handle, appleFruit], mention('@Apple', 'handle'), 'ORG', 0.6, decision)).toStrictEqual({ id: 'gs:apple', title: 'Apple', description: 'technology company', source: 'catalogue' })
})

test('the link carries the brand of the chosen entry: a product names its maker, a brand names none', () => {
  const iphone: LinkOption = { id: 'gs:iphone-15', title: 'iPhone 15', description: 'smartphone by Apple', type: 'OTHER', source: 'catalogue', match: 'name', brand: 'Apple' }
  expect(chooseLink([iphone], mention('iPhone 15'), 'OTHER', 0.9, decision)).toStrictEqual({ id: 'gs:iphone-15', title: 'iPhone 15', description: 'smartphone by Apple', source: 'catalogue', brand: 'Apple' })
  expect(chooseLink([appleInc], mention('Apple'), 'ORG', 0.95, decision)?.brand, 'the brand itself has no brand').toBe(undefined)
  expect(!('brand' in (chooseLink([appleInc], mention('Apple'), 'ORG', 0.95, decision) ?? {})), 'no brand key when the option has none').toBeTruthy()
})

function typed (scores: number[]): TypeResult {
  const labels = ['PER', 'LOC', 'ORG', 'OTHER', 'NONE'] as const
  let best = 0
  scores.forEach((value, i) => { if (value > (scores[best] ?? 0)) best = i })
  return { label: labels[best] as TypeResult['label'], scores, objScores: [] }
}

test('a tag the catalogue resolves takes the catalogue type, scored by how sure stage 2 is that it is an entity', () => {
  const tmobile: LinkOption = { id: 'gs:tmobile', title: 'T-Mobile', description: 'US mobile network operator', type: 'ORG', source: 'catalogue', match: 'handle' }
  expect(decideTagType(typed([0.5, 0.1, 0.2, 0.1, 0.1]), [tmobile], mention('@TMobile', 'handle'), 0.5)).toStrictEqual({ type: 'ORG', score: 0.9 })
  expect(decideTagType(typed([0.05, 0, 0.05, 0, 0.9]), [tmobile], mention('@TMobile', 'handle'), 0.5)?.type, 'an official handle is kept even when stage 2 doubts it').toBe('ORG')
  const byName: LinkOption = { ...tmobile, match: 'tag' }
  expect(decideTagType(typed([0.05, 0, 0.05, 0, 0.9]), [byName], mention('#TMobile', 'hashtag'), 0.5), 'a name read from a tag is not that sure').toBe(null)
})

test('tags that name no entity are dropped; others are typed by stage 2 under minTagScore', () => {
  const commonNoun: LinkOption = { id: 'wordnet:n07544647', title: 'love', description: 'a strong positive emotion', type: null, source: 'wordnet', match: 'name' }
  const confident = typed([0.02, 0.02, 0.02, 0.9, 0.04])
  expect(decideTagType(confident, [commonNoun], mention('#love', 'hashtag'), 0.5)).toBe(null)
  expect(decideTagType(confident, [], mention('#nofilter', 'hashtag'), 0.5)).toBe(null)
  expect(decideTagType(confident, [], mention('@user123', 'handle'), 0.5)).toBe(null)
  expect(decideTagType(confident, [], mention('#ClimateStrike', 'hashtag'), 0.5)).toStrictEqual({ type: 'OTHER', score: 0.9 })
  expect(decideTagType(confident, [parisCity], mention('#paris', 'hashtag'), 0.5)?.type, 'a lower-case tag a typed source knows is read by stage 2').toBe('OTHER')
  expect(decideTagType(typed([0.3, 0.1, 0.1, 0.1, 0.4]), [], mention('#Whatever', 'hashtag'), 0.5)).toBe(null)
  expect(decideTagType(typed([0.45, 0.1, 0.1, 0.05, 0.3]), [], mention('@SomeBrand', 'handle'), 0.5), 'below minTagScore').toBe(null)
})

test('catalogue to document: a product entry\'s brand reaches the link and the document; the brand entry is its own brand', async () => {
  const catalogue = createCatalogueSource({
    entries: [
      { id: 'gs:apple', name: 'Apple', type: 'ORG', description: 'technology company' },
      { id: 'gs:iphone', name: 'iPhone', aliases: ['iPhone 15'], type: 'OTHER', brand: 'Apple', description: "Apple's smartphone line" }
    ]
  })
  const optionsFor = async (text: string): Promise<LinkOption[]> => await catalogue.linkOptions?.({ key: text.toLowerCase(), display: text, kind: 'text' }) ?? []
  const work = makeWork(1, { text: 'iPhone 15 by Apple' })
  const product = mention('iPhone 15')
  const brand = { ...mention('Apple'), start: 13, end: 18 }
  const productLink = chooseLink(await optionsFor('iPhone 15'), product, 'OTHER', 0.9, decision)
  const brandLink = chooseLink(await optionsFor('Apple'), brand, 'ORG', 0.95, decision)
  expect(productLink?.brand).toBe('Apple')
  work.entities = [
    { candidate: { ...product, postId: work.post.id }, type: 'OTHER', typeScore: 0.9, knowledge: null, grounding: null, link: productLink },
    { candidate: { ...brand, postId: work.post.id }, type: 'ORG', typeScore: 0.95, knowledge: null, grounding: null, link: brandLink }
  ]
  const docs = toEntityDocuments(work, { stage1: 'a', stage2: 'b' }, '2026-12-07T00:00:00.000Z')
  expect(docs.map((doc) => [doc.entity.text, doc.entity.canonical_id, doc.entity.brand])).toStrictEqual([['iPhone 15', 'gs:iphone', 'Apple'], ['Apple', 'gs:apple', 'Apple']])
})
