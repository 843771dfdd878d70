// The offline sources against the real npm data they ship with.
import assert from 'node:assert/strict'
import { expect, test } from 'vitest'
import {
  EXAMPLE_CATALOGUE,
  createCataloguesFromExample,
  createCitiesSource,
  createCountriesSource,
  createWordnetSource,
  parseCatalogue
} from './sources-helpers.js'

function query (display: string): { key: string, display: string, signal: AbortSignal } {
  return { key: display.toLowerCase(), display, signal: new AbortController().signal }
}

test('countries: names, alternative spellings and codes share a canonical id; demonyms point at UN members', async () => {
  const source = createCountriesSource()
  await source.init?.()
  const usa = await source.lookup(query('USA'))
  const us = await source.lookup(query('United States of America'))
  expect(usa?.canonicalId).toBe('iso3166:US')
  expect(us?.canonicalId).toBe('iso3166:US')
  expect(usa?.text ?? '').toMatch(/^United States: country in North America\. .*Capital: Washington D\.C\. /)
  expect((await source.lookup(query('French')))?.text).toBe('French: of or from France (Western Europe).')
  expect(await source.lookup(query('Atlantis'))).toBe(null)
  const groups = [...(source.aliasGroups?.() ?? [])]
  expect(groups.length >= 240).toBeTruthy()
  expect(groups.find((group) => group.canonicalId === 'iso3166:FR')?.aliases.includes('French Republic')).toBeTruthy()
})

test('cities: the most populous city of a name, with country name and how many share it', async () => {
  const source = createCitiesSource({ minPopulation: 15_000 })
  await source.init?.()
  const paris = await source.lookup(query('Paris'))
  expect(paris?.text ?? '').toMatch(/^Paris: capital city in France, population [\d,]+\./)
  expect(paris?.canonicalId ?? '').toMatch(/^geonames:\d+$/)
  expect((await source.lookup(query('Springfield')))?.text ?? '').toMatch(/other places share the name/)
  expect(await source.lookup(query('Garfield Park'))).toBe(null)
  const bytes = source.memoryBytes?.() ?? 0
  expect(bytes > 100_000 && bytes < 16 * 1024 * 1024, `cities index ${bytes} bytes`).toBeTruthy()
})

test('wordnet: proper-noun senses for capitalised queries, first sense otherwise; glosses read by offset', async () => {
  const source = createWordnetSource()
  try {
    await source.init?.()
    const obama = await source.lookup(query('Obama'))
    expect(obama?.text ?? '').toMatch(/44th President of the United States/)
    const paris = await source.lookup({ key: 'paris', display: 'Paris', signal: new AbortController().signal })
    expect(paris?.text ?? '').toMatch(/capital and largest city of France/)
    const lower = await source.lookup({ key: 'apple', display: 'apple', signal: new AbortController().signal })
    expect(lower?.text ?? '').toMatch(/^apple: fruit/)
    const multiword = await source.lookup({ key: 'new york', display: 'New York', signal: new AbortController().signal })
    expect(multiword?.canonicalId ?? '').toMatch(/^wordnet:n\d{8}$/)
    expect(await source.lookup(query('Qwertyzzz'))).toBe(null)
  } finally {
    await source.close?.()
  }
})

test('catalogue: example file parses, aliases resolve, bad lines are all reported with their line numbers', async () => {
  const source = createCataloguesFromExample()
  await source.init?.()
  const hit = await source.lookup({ key: 'northwind', display: 'Northwind', signal: new AbortController().signal })
  expect(hit?.canonicalId).toBe('northwind-coffee')
  expect(hit?.text ?? '').toMatch(/^Northwind Coffee \(organisation\): /)
  assert.throws(() => parseCatalogue('{"name":"A","description":"ok"}\nnot json\n{"name":"B"}\n', 'x.jsonl'), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_CONFIG')
    expect(error.message).toMatch(/x\.jsonl:2: not JSON; x\.jsonl:3: description/)
    return true
  })
})

test('the stage built from the default config joins real offline knowledge', async () => {
  const { createKnowledgeStage, parseKnowledgeConfig } = await import('../../src/knowledge-cache/index.js')
  const { work } = await import('../../bench/support/knowledge.js')
  const stage = createKnowledgeStage(parseKnowledgeConfig({ cataloguePath: EXAMPLE_CATALOGUE.pathname }))
  await stage.init()
  try {
    const [item] = await stage.run([work('p1', ['#AcmeRockets', 'Paris', 'French', 'Girona', 'Qwertyzzz Blorp'])])
    expect(item?.candidates.map(({ knowledge }) => knowledge?.source ?? null)).toStrictEqual(['catalogue', 'wordnet', 'countries', 'cities', null])
    expect(item?.candidates[0]?.knowledge?.canonicalId).toBe('acme-rockets')
  } finally {
    await stage.close()
  }
})
