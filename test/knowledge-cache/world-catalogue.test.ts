// The catalogue built from world sources (docs/catalogue.md): the `brand`
// and `ambiguous` fields, the shipped file's NSI brands and clubs, and city
// names in their native spellings.
import assert from 'node:assert/strict'
import { test } from 'vitest'
import { CatalogueEntrySchema, SHIPPED_CATALOGUE_PATH, createCatalogueSource, createCitiesSource } from '../../src/knowledge-cache/index.js'
import { parseAlternateNames } from '../../src/knowledge-cache/sources/cities.js'

const signal = new AbortController().signal
const text = (display: string) => ({ key: display.normalize('NFD').replace(/[\u0300-\u036f]/gu, '').toLowerCase(), display, kind: 'text' as const })

test('brand is an optional name that is validated and reaches the link option', async () => {
  assert.equal(CatalogueEntrySchema.parse({ name: 'Tesco Express', brand: 'Tesco', description: 'British convenience store chain' }).brand, 'Tesco')
  assert.equal(CatalogueEntrySchema.safeParse({ name: 'X1', brand: '', description: 'd' }).success, false, 'an empty brand is an error')
  assert.equal(CatalogueEntrySchema.safeParse({ name: 'X1', brand: 3, description: 'd' }).success, false)
  const source = createCatalogueSource({
    entries: [
      { id: 'acme:express', name: 'Acme Express', brand: 'Acme', type: 'ORG', description: 'Convenience store chain' },
      { id: 'acme', name: 'Acme', type: 'ORG', description: 'Supermarket chain' }
    ]
  })
  const [express] = await source.linkOptions?.(text('Acme Express')) ?? []
  assert.deepEqual(express, { id: 'acme:express', title: 'Acme Express', description: 'Convenience store chain', type: 'ORG', source: 'catalogue', match: 'name', brand: 'Acme', tracked: true }, 'a user entry is tracked')
  const [acme] = await source.linkOptions?.(text('Acme')) ?? []
  assert.equal(acme !== undefined && 'brand' in acme, false, 'a brand of its own carries no brand field')
})

test('an ambiguous name does not link; the entry is still found by its aliases and handles', async () => {
  const source = createCatalogueSource({ entries: [{ id: 'wikidata:Q1', name: 'Coop', aliases: ['Coop Italia'], handles: ['Coopitalia'], ambiguous: true, type: 'ORG', description: 'Italian supermarket chain' }] })
  assert.deepEqual(await source.linkOptions?.(text('Coop')), [])
  assert.deepEqual(await source.linkOptions?.({ key: 'coop', display: 'coop', kind: 'hashtag', tag: 'coop' }), [], '#coop is no key either')
  assert.equal((await source.linkOptions?.(text('Coop Italia')))?.[0]?.id, 'wikidata:Q1')
  assert.equal((await source.linkOptions?.({ key: 'coopitalia', display: 'Coopitalia', kind: 'handle', tag: 'Coopitalia' }))?.[0]?.match, 'handle')
})

test('the shipped catalogue links NSI brands and clubs by Wikidata and openfootball ids, keeps curated ids, and feeds prompts only from curated entries', async () => {
  const source = createCatalogueSource({ shippedPath: SHIPPED_CATALOGUE_PATH })
  const greggs = (await source.linkOptions?.(text('Greggs')))?.[0]
  assert.deepEqual([greggs?.id, greggs?.type, greggs?.description], ['wikidata:Q3403981', 'ORG', 'British fast-food restaurant chain'])
  assert.equal((await source.linkOptions?.({ key: 'greggs official', display: 'Greggs Official', kind: 'handle', tag: 'GreggsOfficial' }))?.[0]?.id, 'wikidata:Q3403981')
  assert.equal((await source.linkOptions?.(text('Fenerbahçe')))?.[0]?.id, 'openfootball:tr/fenerbahce-istanbul')
  assert.match((await source.linkOptions?.(text('Galatasaray SK')))?.[0]?.description ?? '', /^Turkish football club/u)
  assert.equal((await source.linkOptions?.(text('Tesco')))?.[0]?.id, 'gs:tesco', 'the curated entry wins')
  assert.equal((await source.linkOptions?.(text('iPhone')))?.[0]?.brand, 'Apple', "a curated product names its maker")
  assert.deepEqual(await source.linkOptions?.(text('Coop')), [], 'several Coop chains, and a common word: none linked by the bare name')
  assert.equal(await source.lookup({ key: 'greggs', display: 'Greggs', signal }), null, 'a bulk entry does not steer stage 2')
})

test('cities: a native spelling links to the same GeoNames id as the English name, whatever its case or accents', async () => {
  const source = createCitiesSource({ minPopulation: 15_000 })
  await source.init?.()
  const id = async (display: string) => (await source.linkOptions?.(text(display)))?.[0]?.id
  assert.equal(await id('München'), await id('Munich'))
  assert.equal(await id('MÜNCHEN'), await id('Munich'))
  assert.equal(await id('Kraków'), await id('Krakow'))
  assert.equal(await id('Köln'), await id('Cologne'))
  assert.equal(await id('Den Haag'), await id('The Hague'))
  assert.equal(await id('İstanbul'), await id('Istanbul'))
  assert.equal(await id('Zürich'), await id('Zurich'))
  assert.match(await id('São Paulo') ?? '', /^geonames:\d+$/u)
  const cologne = (await source.linkOptions?.(text('Cologne')))?.[0]
  assert.deepEqual([cologne?.type, cologne?.title], ['LOC', 'Köln'], "the title stays the city's own name")
  assert.equal(await id('Paris'), 'geonames:2988507', "a city's own name is never taken by another city's alternate spelling")
})

test('city alternate names: the TSV parses, and a bad line is an error naming file and line', async () => {
  assert.deepEqual([...parseAlternateNames('# header\n2867714\tMünchen|Monaco di Baviera\n', 'x.tsv')], [[2867714, ['München', 'Monaco di Baviera']]])
  assert.throws(() => parseAlternateNames('# h\nnot-a-number\tX\n', 'x.tsv'), /x\.tsv:2: expected geonameid<TAB>name\|name/u)
  const none = createCitiesSource({ minPopulation: 15_000, alternateNamesPath: false })
  assert.deepEqual(await none.linkOptions?.(text('München')), [], 'without the file only own names are keys')
})
