// The catalogue built from world sources (docs/catalogue.md): the `brand`
// and `ambiguous` fields, the shipped file's NSI brands and clubs, and city
// names in their native spellings.
import { expect, test } from 'vitest'
import { CatalogueEntrySchema, SHIPPED_CATALOGUE_PATH, createCatalogueSource, createCitiesSource } from '../../src/knowledge-cache/index.js'
import { parseAlternateNames } from '../../src/knowledge-cache/sources/cities.js'

const signal = new AbortController().signal
const text = (display: string) => ({ key: display.normalize('NFD').replace(/[\u0300-\u036f]/gu, '').toLowerCase(), display, kind: 'text' as const })

test('brand is an optional name that is validated and reaches the link option', async () => {
  expect(CatalogueEntrySchema.parse({ name: 'Tesco Express', brand: 'Tesco', description: 'British convenience store chain' }).brand).toBe('Tesco')
  expect(CatalogueEntrySchema.safeParse({ name: 'X1', brand: '', description: 'd' }).success, 'an empty brand is an error').toBe(false)
  expect(CatalogueEntrySchema.safeParse({ name: 'X1', brand: 3, description: 'd' }).success).toBe(false)
  const source = createCatalogueSource({
    entries: [
      { id: 'acme:express', name: 'Acme Express', brand: 'Acme', type: 'ORG', description: 'Convenience store chain' },
      { id: 'acme', name: 'Acme', type: 'ORG', description: 'Supermarket chain' }
    ]
  })
  const [express] = await source.linkOptions?.(text('Acme Express')) ?? []
  expect(express, 'a user entry is tracked').toStrictEqual({ id: 'acme:express', title: 'Acme Express', description: 'Convenience store chain', type: 'ORG', source: 'catalogue', match: 'name', brand: 'Acme', tracked: true })
  const [acme] = await source.linkOptions?.(text('Acme')) ?? []
  expect(acme !== undefined && 'brand' in acme, 'a brand of its own carries no brand field').toBe(false)
})

test('an ambiguous name does not link; the entry is still found by its aliases and handles', async () => {
  const source = createCatalogueSource({ entries: [{ id: 'wikidata:Q1', name: 'Coop', aliases: ['Coop Italia'], handles: ['Coopitalia'], ambiguous: true, type: 'ORG', description: 'Italian supermarket chain' }] })
  expect(await source.linkOptions?.(text('Coop'))).toStrictEqual([])
  expect(await source.linkOptions?.({ key: 'coop', display: 'coop', kind: 'hashtag', tag: 'coop' }), '#coop is no key either').toStrictEqual([])
  expect((await source.linkOptions?.(text('Coop Italia')))?.[0]?.id).toBe('wikidata:Q1')
  expect((await source.linkOptions?.({ key: 'coopitalia', display: 'Coopitalia', kind: 'handle', tag: 'Coopitalia' }))?.[0]?.match).toBe('handle')
})

test('the shipped catalogue links NSI brands and clubs by Wikidata and openfootball ids, keeps curated ids, and feeds prompts only from curated entries', async () => {
  const source = createCatalogueSource({ shippedPath: SHIPPED_CATALOGUE_PATH })
  const greggs = (await source.linkOptions?.(text('Greggs')))?.[0]
  expect([greggs?.id, greggs?.type, greggs?.description]).toStrictEqual(['wikidata:Q3403981', 'ORG', 'British fast-food restaurant chain'])
  expect((await source.linkOptions?.({ key: 'greggs official', display: 'Greggs Official', kind: 'handle', tag: 'GreggsOfficial' }))?.[0]?.id).toBe('wikidata:Q3403981')
  expect((await source.linkOptions?.(text('Fenerbahçe')))?.[0]?.id).toBe('openfootball:tr/fenerbahce-istanbul')
  expect((await source.linkOptions?.(text('Galatasaray SK')))?.[0]?.description ?? '').toMatch(/^Turkish football club/u)
  expect((await source.linkOptions?.(text('Tesco')))?.[0]?.id, 'the curated entry wins').toBe('gs:tesco')
  expect((await source.linkOptions?.(text('iPhone')))?.[0]?.brand, "a curated product names its maker").toBe('Apple')
  expect(await source.linkOptions?.(text('Coop')), 'several Coop chains, and a common word: none linked by the bare name').toStrictEqual([])
  expect(await source.lookup({ key: 'greggs', display: 'Greggs', signal }), 'a bulk entry does not steer stage 2').toBe(null)
})

test('cities: a native spelling links to the same GeoNames id as the English name, whatever its case or accents', async () => {
  const source = createCitiesSource({ minPopulation: 15_000 })
  await source.init?.()
  const id = async (display: string) => (await source.linkOptions?.(text(display)))?.[0]?.id
  expect(await id('München')).toBe(await id('Munich'))
  expect(await id('MÜNCHEN')).toBe(await id('Munich'))
  expect(await id('Kraków')).toBe(await id('Krakow'))
  expect(await id('Köln')).toBe(await id('Cologne'))
  expect(await id('Den Haag')).toBe(await id('The Hague'))
  expect(await id('İstanbul')).toBe(await id('Istanbul'))
  expect(await id('Zürich')).toBe(await id('Zurich'))
  expect(await id('São Paulo') ?? '').toMatch(/^geonames:\d+$/u)
  const cologne = (await source.linkOptions?.(text('Cologne')))?.[0]
  expect([cologne?.type, cologne?.title], "the title stays the city's own name").toStrictEqual(['LOC', 'Köln'])
  expect(await id('Paris'), "a city's own name is never taken by another city's alternate spelling").toBe('geonames:2988507')
})

test('city alternate names: the TSV parses, and a bad line is an error naming file and line', async () => {
  expect([...parseAlternateNames('# header\n2867714\tMünchen|Monaco di Baviera\n', 'x.tsv')]).toStrictEqual([[2867714, ['München', 'Monaco di Baviera']]])
  expect(() => parseAlternateNames('# h\nnot-a-number\tX\n', 'x.tsv')).toThrow(/x\.tsv:2: expected geonameid<TAB>name\|name/u)
  const none = createCitiesSource({ minPopulation: 15_000, alternateNamesPath: false })
  expect(await none.linkOptions?.(text('München')), 'without the file only own names are keys').toStrictEqual([])
})
