// The offline sources against the real npm data they ship with.
import assert from 'node:assert/strict'
import { test } from 'vitest'
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
  assert.equal(usa?.canonicalId, 'iso3166:US')
  assert.equal(us?.canonicalId, 'iso3166:US')
  assert.match(usa?.text ?? '', /^United States: country in North America\. .*Capital: Washington D\.C\. /)
  assert.equal((await source.lookup(query('French')))?.text, 'French: of or from France (Western Europe).')
  assert.equal(await source.lookup(query('Atlantis')), null)
  const groups = [...(source.aliasGroups?.() ?? [])]
  assert.ok(groups.length >= 240)
  assert.ok(groups.find((group) => group.canonicalId === 'iso3166:FR')?.aliases.includes('French Republic'))
})

test('cities: the most populous city of a name, with country name and how many share it', async () => {
  const source = createCitiesSource({ minPopulation: 15_000 })
  await source.init?.()
  const paris = await source.lookup(query('Paris'))
  assert.match(paris?.text ?? '', /^Paris: capital city in France, population [\d,]+\./)
  assert.match(paris?.canonicalId ?? '', /^geonames:\d+$/)
  assert.match((await source.lookup(query('Springfield')))?.text ?? '', /other places share the name/)
  assert.equal(await source.lookup(query('Garfield Park')), null)
  const bytes = source.memoryBytes?.() ?? 0
  assert.ok(bytes > 100_000 && bytes < 16 * 1024 * 1024, `cities index ${bytes} bytes`)
})

test('wordnet: proper-noun senses for capitalised queries, first sense otherwise; glosses read by offset', async () => {
  const source = createWordnetSource()
  try {
    await source.init?.()
    const obama = await source.lookup(query('Obama'))
    assert.match(obama?.text ?? '', /44th President of the United States/)
    const paris = await source.lookup({ key: 'paris', display: 'Paris', signal: new AbortController().signal })
    assert.match(paris?.text ?? '', /capital and largest city of France/)
    const lower = await source.lookup({ key: 'apple', display: 'apple', signal: new AbortController().signal })
    assert.match(lower?.text ?? '', /^apple: fruit/)
    const multiword = await source.lookup({ key: 'new york', display: 'New York', signal: new AbortController().signal })
    assert.match(multiword?.canonicalId ?? '', /^wordnet:n\d{8}$/)
    assert.equal(await source.lookup(query('Qwertyzzz')), null)
  } finally {
    await source.close?.()
  }
})

test('catalogue: example file parses, aliases resolve, bad lines are all reported with their line numbers', async () => {
  const source = createCataloguesFromExample()
  await source.init?.()
  const hit = await source.lookup({ key: 'northwind', display: 'Northwind', signal: new AbortController().signal })
  assert.equal(hit?.canonicalId, 'northwind-coffee')
  assert.match(hit?.text ?? '', /^Northwind Coffee \(organisation\): /)
  assert.throws(() => parseCatalogue('{"name":"A","description":"ok"}\nnot json\n{"name":"B"}\n', 'x.jsonl'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'GS_ERR_CONFIG')
    assert.match(error.message, /x\.jsonl:2: not JSON; x\.jsonl:3: description/)
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
    assert.deepEqual(item?.candidates.map(({ knowledge }) => knowledge?.source ?? null), ['catalogue', 'wordnet', 'countries', 'cities', null])
    assert.equal(item?.candidates[0]?.knowledge?.canonicalId, 'acme-rockets')
  } finally {
    await stage.close()
  }
})
