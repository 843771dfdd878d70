import { expect, test } from 'vitest'
import { readFile } from 'node:fs/promises'
import type { Candidate } from '../../src/contracts/index.js'
import { NO_IMAGE } from '../../src/contracts/index.js'
import type { PostWork } from '../../src/pipeline/types.js'
import {
  CatalogueEntrySchema, SHIPPED_CATALOGUE_PATH, createCatalogueSource, createKnowledgeStage, createWordnetSource,
  linkOptionFromKnowledge, parseKnowledgeConfig, typeFromDescription
} from '../../src/knowledge-cache/index.js'
import { documentBrand } from '../../src/sinks/index.js'
import { splitWords } from '../../src/stages/index.js'

const signal = new AbortController().signal

test('the shipped catalogue parses, every entry says where it came from, and ids are unique', async () => {
  const lines = (await readFile(SHIPPED_CATALOGUE_PATH, 'utf8')).trim().split('\n')
  expect(lines.length > 15_000, `curated, Simple Icons, clubs and NSI brands, got ${lines.length}`).toBeTruthy()
  const ids = new Set<string>()
  for (const line of lines) {
    const entry = CatalogueEntrySchema.parse(JSON.parse(line))
    expect(entry.source ?? '').toMatch(/^(curated|simple-icons:|curated\+simple-icons:|openfootball:[a-z]+$|nsi:[a-z_]+\/[a-z_-]+$)/u)
    expect(!ids.has(entry.id ?? ''), `duplicate id ${entry.id}`).toBeTruthy()
    ids.add(entry.id ?? '')
  }
})

test('handles resolve through official accounts, names written as tags and account suffixes', async () => {
  const source = createCatalogueSource({ shippedPath: SHIPPED_CATALOGUE_PATH })
  const ask = async (text: string, kind: 'handle' | 'hashtag', key: string) => (await source.linkOptions?.({ key, display: key, kind, tag: text.slice(1) }))?.[0]
  expect(await ask('@TMobile', 'handle', 't mobile')).toStrictEqual({ id: 'gs:tmobile', title: 'T-Mobile', description: 'US mobile network operator, majority-owned by Deutsche Telekom', type: 'ORG', source: 'catalogue', match: 'handle' })
  expect((await ask('@nvidia', 'handle', 'nvidia'))?.id).toBe('gs:nvidia')
  expect((await ask('@elonmusk', 'handle', 'elonmusk'))?.type).toBe('PER')
  expect((await ask('@SamsungSupport', 'handle', 'samsung support'))?.match, 'a listed support account').toBe('handle')
  const regional = await ask('@NetflixUK', 'handle', 'netflix uk')
  expect([regional?.id, regional?.match], 'an unlisted regional account speaks for the brand').toStrictEqual(['gs:netflix', 'tag'])
  expect((await ask('#BlackFriday', 'hashtag', 'black friday'))?.id).toBe('gs:black-friday')
  expect((await ask('#blackfriday', 'hashtag', 'blackfriday'))?.id, 'the squashed name matches a run-together tag').toBe('gs:black-friday')
  expect(await ask('@user123', 'handle', 'user 123')).toBe(undefined)
})

test('Simple Icons entries link but never feed prompts; curated ones do', async () => {
  const source = createCatalogueSource({ shippedPath: SHIPPED_CATALOGUE_PATH })
  expect(await source.lookup({ key: 'shopify', display: 'Shopify', signal }), 'a bare brand list entry would bias stage 2').toBe(null)
  expect((await source.linkOptions?.({ key: 'shopify', display: 'Shopify', kind: 'text' }))?.[0]?.id).toBe('gs:shopify')
  const nike = await source.lookup({ key: 'nike', display: 'Nike', signal })
  expect(nike?.text ?? '').toMatch(/^Nike \(organisation\): American sportswear/u)
})

test("a user's catalogue overrides the shipped one: same alias, same handle or same id", async () => {
  const source = createCatalogueSource({
    shippedPath: SHIPPED_CATALOGUE_PATH,
    entries: [
      { id: 'acme:apple-records', name: 'Apple Records', aliases: ['Apple'], handles: ['Apple'], type: 'ORG', description: 'Record label founded by the Beatles.' },
      { id: 'gs:nike', name: 'Nike Running Club', type: 'ORG', description: 'Our own reading of the id.' }
    ]
  })
  const apple = await source.linkOptions?.({ key: 'apple', display: 'Apple', kind: 'text' })
  expect(apple?.[0]?.id).toBe('acme:apple-records')
  const handle = await source.linkOptions?.({ key: 'apple', display: 'Apple', kind: 'handle', tag: 'Apple' })
  expect(handle?.[0]?.id).toBe('acme:apple-records')
  expect((await source.linkOptions?.({ key: 'nike running club', display: 'Nike Running Club', kind: 'text' }))?.[0]?.title).toBe('Nike Running Club')
  expect((await source.linkOptions?.({ key: 'nike', display: 'Nike', kind: 'text' }))?.length ?? 0, "the shipped Nike entry gave way to the user's id").toBe(0)
})

test('WordNet readings are typed from their lexicographer file, and common nouns carry no type', async () => {
  const wordnet = createWordnetSource()
  try {
    const apple = await wordnet.linkOptions?.({ key: 'apple', display: 'Apple', kind: 'text' }) ?? []
    expect(apple.length > 0 && apple.every((option) => option.type === null), 'the fruit and the tree are not entities').toBeTruthy()
    const nike = await wordnet.linkOptions?.({ key: 'nike', display: 'Nike', kind: 'text' }) ?? []
    expect(nike.map((option) => option.type), 'the goddess is a person reading').toStrictEqual(['PER'])
    const paris = await wordnet.linkOptions?.({ key: 'paris', display: 'Paris', kind: 'text' }) ?? []
    expect(paris.some((option) => option.type === 'LOC' && /France/u.test(option.description))).toBeTruthy()
  } finally {
    await wordnet.close?.()
  }
})

test('Wikipedia answers become options typed by their description', () => {
  expect(typeFromDescription('American rapper and singer')).toBe('PER')
  expect(typeFromDescription('Japanese multinational automotive manufacturer')).toBe('ORG')
  expect(typeFromDescription('Capital city of France')).toBe('LOC')
  expect(typeFromDescription('Greek goddess of victory')).toBe(null)
  const option = linkOptionFromKnowledge({ key: 'drake', canonicalId: 'wikidata:Q33240', title: 'Drake (musician)', text: 'Drake (musician): Canadian rapper and singer. Aubrey Drake Graham is...', source: 'wikipedia' }, ['catalogue', 'wordnet'])
  expect(option).toStrictEqual({ id: 'wikidata:Q33240', title: 'Drake (musician)', description: 'Canadian rapper and singer', type: 'PER', source: 'wikipedia', match: 'name' })
  expect(linkOptionFromKnowledge({ key: 'x', canonicalId: 'wordnet:n1', title: 'x', text: 'x: y.', source: 'wordnet' }, ['wordnet']), 'typed sources speak for themselves').toBe(null)
})

function post (text: string, surfaces: Array<[string, Candidate['kind']?, string?]>): PostWork {
  const words = splitWords(text)
  const candidates = surfaces.map(([surface, kind, query]) => {
    const start = text.indexOf(surface)
    const wordStart = words.findIndex((word) => word.start === start)
    const wordEnd = words.findIndex((word) => word.end === start + surface.length) + 1
    return { postId: 'p', text: surface, start, end: start + surface.length, wordStart, wordEnd, score: 0.9, ...(kind === undefined ? {} : { kind }), ...(query === undefined ? {} : { query }) }
  })
  return { post: { id: 'p', text, created_at: '2026-11-30T08:00:00Z', image_urls: [] }, source: { topic: 't', partition: 0, offset: '0' }, candidates: candidates.map((candidate) => ({ candidate, knowledge: null })), image: NO_IMAGE, entities: [], timings: {} }
}

test('the knowledge stage gathers typed readings for the linker and asks prompts by the resolved name', async () => {
  const stage = createKnowledgeStage(parseKnowledgeConfig({}))
  await stage.init()
  try {
    const [item] = await stage.run([post('Apple pie in Florida, says @TMobile and Nike', [['Apple'], ['Florida'], ['@TMobile', 'handle', 'T Mobile'], ['Nike']])])
    const links = item?.candidates.map((record) => record.links) ?? []
    expect(links[0]?.some((option) => option.match === 'context' && option.title.toLowerCase() === 'apple pie'), '`Apple pie` reads as a common noun here').toBeTruthy()
    expect(links[1]?.every((option) => option.source !== 'cities'), 'a small town named Florida does not outrank the state WordNet knows').toBeTruthy()
    expect(links[1]?.some((option) => option.source === 'wordnet' && option.type === 'LOC')).toBeTruthy()
    expect(links[2]?.[0]?.id).toBe('gs:tmobile')
    expect(item?.candidates[2]?.knowledge?.text ?? '', 'the prompt gets the resolved entity').toMatch(/^T-Mobile \(organisation\)/u)
    expect(links[3]?.map((option) => [option.id, option.type])).toStrictEqual([['gs:nike', 'ORG'], ['wordnet:n09590896', 'PER']])
  } finally {
    await stage.close()
  }
})

test('a product named after its brand counts under the brand; a whole catalogue name, a lower-case prefix or a person does not', async () => {
  const stage = createKnowledgeStage(parseKnowledgeConfig({}))
  await stage.init()
  try {
    const [item] = await stage.run([post('Samsung Galaxy S24 Ultra or the Nike Air Max, asks nike running fan Tim Cook', [['Samsung Galaxy S24 Ultra'], ['Nike Air Max'], ['nike running'], ['Tim Cook']])])
    const named = item?.candidates.map((record) => record.namedBrand ?? null)
    // Air Max is a curated product with its own brand: the link carries it, no name prefix is needed.
    expect(named).toEqual(['Samsung', null, null, null])
  } finally {
    await stage.close()
  }
})

test('documents: a product or organisation without a link counts under the brand its name starts with, a person or place never', () => {
  expect(documentBrand('OTHER', null, 'Samsung')).toBe('Samsung')
  expect(documentBrand('ORG', undefined, 'Amazon')).toBe('Amazon')
  expect(documentBrand('PER', null, 'Tim')).toBeNull()
  expect(documentBrand('LOC', null, 'Amazon')).toBeNull()
  expect(documentBrand('OTHER', { title: 'Air Max', source: 'catalogue', brand: 'Nike' }, 'Nike')).toBe('Nike')
})
