// Units of scripts/catalogue/ (the shipped catalogue's builder), on inline
// fixtures: no ../shared data, NSI package or GeoNames file is read.
import assert from 'node:assert/strict'
import { expect, test } from 'vitest'

interface Entry {
  id: string
  name: string
  aliases: string[]
  handles: string[]
  type: string
  brand?: string
  ambiguous?: boolean
  description: string
  source: string
}
interface Listing { path: string, item: Record<string, unknown> }
interface NsiModule {
  nsiEntry: (qid: string, listings: Listing[], context: { wikidata: Record<string, unknown>, demonyms: Map<string, string>, parentName?: (name: string) => string | undefined }) => Entry
  sortListings: (listings: Listing[]) => Listing[]
}
interface ClubsModule {
  parseClubs: (text: string) => Array<{ name: string, city: string | null, alternatives: string[] }>
  parseClubHandles: (text: string) => Map<string, string>
  clubEntry: (club: { name: string, city: string | null, alternatives: string[] }, context: { code: string, demonym?: string, handle?: string }) => Entry
}
interface AmbiguityModule {
  resolveBulk: (entries: Entry[], context: { common: { reason: (name: string) => string | null }, claimed: Map<string, { id: string, curated: boolean }>, iconTitles: Map<string, string> }) => { kept: Entry[], merges: Array<{ target: string, entry: Entry }>, counts: Record<string, number> }
}
interface CitiesModule {
  alternateSpellings: (cities: Array<{ id: number, name: string, ascii: string, population: number, alternates: string[] }>, ownKeys: Set<string>, isCommon: (name: string) => boolean) => Map<number, string[]>
  spellingsFile: (spellings: Map<number, string[]>, version: string) => string
}
interface DescribeModule {
  scopeWord: (include: unknown[], demonyms: Map<string, string>) => string | null
  categoryPhrase: (path: string) => string
}

// A non-literal specifier for the type checker (the builders are plain JS); vitest still sees the path.
const load = async <T>(name: string): Promise<T> => await import(`../../scripts/catalogue/${name}.mjs` as string) as T

const demonyms = new Map([['fr', 'French'], ['tr', 'Turkish'], ['gb', 'British'], ['dk', 'Danish'], ['se', 'Swedish']])

test('an NSI brand becomes one entry: Wikidata id, native names as aliases, its Twitter account, a described category and its parent brand', async () => {
  const { nsiEntry, sortListings } = await load<NsiModule>('nsi')
  const listings = sortListings([
    { path: 'brands/amenity/atm', item: { id: 'tesco-atm', locationSet: { include: ['gb'] }, tags: { brand: 'Tesco Express', 'brand:wikidata': 'Q487494', amenity: 'atm' } } },
    {
      path: 'brands/shop/convenience',
      item: {
        id: 'tescoexpress-1',
        locationSet: { include: ['gb-eng', 'gb-sco'] },
        matchNames: ['tesco express store'],
        tags: { brand: 'Tesco Express', 'brand:wikidata': 'Q487494', 'name:cy': 'Tesco Express Cymru', name: 'Tesco Express', shop: 'convenience' }
      }
    }
  ])
  expect(listings[0]?.path, 'a shop listing before its ATMs').toBe('brands/shop/convenience')
  const entry = nsiEntry('Q487494', listings, {
    wikidata: { Q487494: { identities: { twitter: 'Tesco' } } },
    demonyms: new Map([...demonyms, ['eng', 'English'], ['sco', 'Scottish']]),
    parentName: (name) => name === 'Tesco' ? 'Tesco' : undefined
  })
  expect(entry).toStrictEqual({
    id: 'wikidata:Q487494',
    name: 'Tesco Express',
    aliases: ['Tesco Express Cymru', 'tesco express store'],
    handles: ['Tesco'],
    type: 'ORG',
    brand: 'Tesco',
    description: 'British convenience store chain',
    source: 'nsi:shop/convenience'
  })
})

test('an operator is not a parent brand (a brand names itself); a missing Twitter account gives no handle', async () => {
  const { nsiEntry } = await load<NsiModule>('nsi')
  const theme = nsiEntry('Q253302', [{ path: 'brands/tourism/theme_park', item: { id: 'l', locationSet: { include: ['001'] }, tags: { brand: 'LEGOLAND', 'brand:wikidata': 'Q253302', operator: 'Merlin Entertainments', 'operator:wikidata': 'Q573278' } } }], { wikidata: {}, demonyms })
  expect(theme.brand).toBe(undefined)
  expect(theme.description).toBe('International theme park brand')
  expect(theme.handles).toStrictEqual([])
  const bank = nsiEntry('Q499707', [{ path: 'brands/amenity/bank', item: { id: 'b', locationSet: { include: ['pl'] }, tags: { brand: 'BNP Paribas', 'brand:wikidata': 'Q499707', operator: 'BNP Paribas Polska', 'operator:wikidata': 'Q1' } } }], { wikidata: {}, demonyms })
  expect(bank.brand).toBe(undefined)
})

test('scopes and categories read as words stage 2 knows', async () => {
  const { scopeWord, categoryPhrase } = await load<DescribeModule>('describe')
  expect(scopeWord(['fr'], demonyms)).toBe('French')
  expect(scopeWord(['dk', 'se'], demonyms)).toBe('Danish and Swedish')
  expect(scopeWord(['fr', 'tr', 'gb', 'dk'], demonyms)).toBe('International')
  expect(scopeWord(['150'], demonyms)).toBe('European')
  expect(scopeWord(['gb-eng', 'gb-sco'], new Map([['eng', 'English'], ['sco', 'Scottish']]))).toBe('English and Scottish')
  expect(scopeWord(['custom-area.geojson'], demonyms)).toBe(null)
  expect(categoryPhrase('brands/amenity/fast_food')).toBe('fast-food restaurant chain')
  expect(categoryPhrase('brands/shop/wine')).toBe('wine shop chain')
})

test('openfootball club lines, their other names and a props table of handles', async () => {
  const { parseClubs, parseClubHandles, clubEntry } = await load<ClubsModule>('clubs')
  const clubs = parseClubs([
    '=  Turkey',
    '## comment',
    'Galatasaray İstanbul, İstanbul',
    '  | Galatasaray | Galatasaray SK   # its club',
    '  | $$Medipol$$ Galatasaray FK | Galatasaray Kulübü [de]',
    ' Some Street 1 // 34000 İstanbul',
    'Arsenal FC, 1886, @ Emirates Stadium, London (Highbury)   ## Greater London',
    'ii) Arsenal FC II'
  ].join('\n'))
  expect(clubs).toStrictEqual([
    { name: 'Galatasaray İstanbul', city: 'İstanbul', alternatives: ['Galatasaray', 'Galatasaray SK', 'Medipol Galatasaray FK', 'Galatasaray Kulübü'] },
    { name: 'Arsenal FC', city: 'London', alternatives: [] }
  ])
  const handles = parseClubHandles('Name,   Web,   Twitter\nClub América,  www.clubamerica.com.mx,  CF_America\n')
  expect(handles.get('club america')).toBe('CF_America')
  const [galatasaray] = clubs
  assert.ok(galatasaray !== undefined)
  expect(clubEntry(galatasaray, { code: 'tr', demonym: 'Turkish' })).toStrictEqual({
    id: 'openfootball:tr/galatasaray-istanbul',
    name: 'Galatasaray İstanbul',
    aliases: ['Galatasaray', 'Galatasaray SK', 'Medipol Galatasaray FK', 'Galatasaray Kulübü'],
    handles: [],
    type: 'ORG',
    description: 'Turkish football club based in İstanbul',
    source: 'openfootball:tr'
  })
})

function entry (id: string, name: string, aliases: string[], handles: string[] = [], source = 'nsi:shop/supermarket'): Entry {
  return { id, name, aliases, handles, type: 'ORG', description: 'Supermarket chain', source }
}

test('bulk names that are common, short, shared or curated do not link; an NSI brand named like a Simple Icons entry merges onto it', async () => {
  const { resolveBulk } = await load<AmbiguityModule>('ambiguity')
  const common = { reason: (name: string) => ['coop', 'target', 'london'].includes(name.toLowerCase()) ? 'WordNet word' : null }
  const claimed = new Map([['boots', { id: 'gs:boots', curated: true }], ['shopify', { id: 'gs:shopify', curated: false }]])
  const { kept, merges, counts } = resolveBulk([
    entry('wikidata:Q1', 'Coop', ['Coop Italia'], ['Coopitalia']),
    entry('wikidata:Q2', 'Coop', [], ['mijncoop']),
    entry('wikidata:Q3', 'Target', []),
    entry('wikidata:Q4', 'Boots', ['Boots Pharmacy']),
    entry('wikidata:Q5', 'Shopify', ['Shopify Inc'], ['Shopify']),
    entry('wikidata:Q6', 'Greggs', ['DIA', 'London', 'Greggs Bakery', 'target london', 'Target London'], ['GreggsOfficial']),
    entry('openfootball:eng/arsenal-fc', 'Arsenal FC', ['Arsenal'], [], 'openfootball:eng'),
    entry('openfootball:ru/arsenal-tula', 'Arsenal Tula', ['Arsenal'], [], 'openfootball:ru')
  ], { common, claimed, iconTitles: new Map([['shopify', 'gs:shopify']]) })
  expect(kept.map((item) => [item.id, item.ambiguous === true, item.aliases]), 'a common or shared name is not a key; Target has no other way to be found and is dropped; curated Boots wins').toStrictEqual([
    ['wikidata:Q1', true, ['Coop Italia']],
    ['wikidata:Q2', true, []],
    ['wikidata:Q6', false, ['Greggs Bakery', 'Target London']],
    ['openfootball:eng/arsenal-fc', false, []],
    ['openfootball:ru/arsenal-tula', false, []]
  ])
  expect(merges.map((merge) => [merge.target, merge.entry.aliases])).toStrictEqual([['gs:shopify', ['Shopify Inc']]])
  expect(counts.curatedWins).toBe(1)
  expect(counts.dropped).toBe(1)
})

test('city spellings: native forms kept under the city id, own names and common words left out, and the TSV says its licence', async () => {
  const { alternateSpellings, spellingsFile } = await load<CitiesModule>('cities')
  const spellings = alternateSpellings([
    { id: 2867714, name: 'Munich', ascii: 'Munich', population: 1_500_000, alternates: ['München', 'Munchen', 'MUC', 'myunhen', 'Мюнхен', 'Monaco di Baviera', 'Paris'] },
    { id: 2988507, name: 'Paris', ascii: 'Paris', population: 2_100_000, alternates: ['Parigi', 'Lutetia'] },
    { id: 1, name: 'Smalltown', ascii: 'Smalltown', population: 20_000, alternates: ['Parigi', 'Table'] },
    { id: 2886242, name: 'Cologne', ascii: 'Cologne', population: 1_000_000, alternates: ['Köln', 'Koeln'] }
  ], new Set(['munich', 'paris', 'smalltown', 'koln']), (name) => ['Table', 'Cologne'].includes(name))
  expect([...spellings], '`München` is new (the runtime has `munich`); `Paris` is a city of its own; `Parigi` goes to the larger city; `Cologne` is GeoNames\' own name where the runtime says `Köln`').toStrictEqual([
    [2867714, ['Monaco di Baviera', 'München']],
    [2886242, ['Cologne', 'Koeln']],
    [2988507, ['Lutetia', 'Parigi']]
  ])
  const file = spellingsFile(spellings, '3.0.2')
  expect(file).toMatch(/^# Alternate city names from GeoNames .*CC BY 4\.0/u)
  expect(file).toMatch(/\n2867714\tMonaco di Baviera\|München\n/u)
})
