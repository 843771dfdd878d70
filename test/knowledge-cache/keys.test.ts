import assert from 'node:assert/strict'
import { test } from 'vitest'
import { entityVariants, normaliseEntity, normaliseEntityKey } from '../../src/contracts/index.js'
import { AliasTable, cacheKeyFor } from '../../src/knowledge-cache/index.js'
import { repoPath } from '../support/paths.js'

test('surface forms of one entity normalise to one key', () => {
  const cases: Array<[string, string]> = [
    ['#BellaHadid', 'bella hadid'],
    ['# BellaHadid', 'bella hadid'],
    ['@Microsoft', 'microsoft'],
    ['@elon_musk', 'elon musk'],
    ["Trump's", 'trump'],
    ['Trump’s', 'trump'],
    ["Jones'", 'jones'],
    ['  New \t York  ', 'new york'],
    ['ＢＥＬＬＡ　Hadid', 'bella hadid'],
    ['Zürich', 'zurich'],
    ['Straße', 'strasse'],
    ['"Paris."', 'paris'],
    ['(NASA)', 'nasa'],
    ['#ProudOfRAW', 'proud of raw'],
    ['#RAWNews', 'raw news']
  ]
  for (const [surface, key] of cases) assert.equal(normaliseEntityKey(surface), key, surface)
})

test('names that are one word keep their inner structure', () => {
  assert.equal(normaliseEntityKey('McDonald'), 'mcdonald')
  assert.equal(normaliseEntityKey('iPhone'), 'iphone')
  assert.equal(normaliseEntityKey('U.S.'), 'u.s.')
  assert.equal(normaliseEntityKey("O'Neill"), "o'neill")
  assert.equal(normaliseEntityKey('Mumbai'), 'mumbai')
})

test('display keeps case for case-sensitive sources', () => {
  assert.deepEqual(normaliseEntity('#BellaHadid'), { key: 'bella hadid', display: 'Bella Hadid' })
  assert.deepEqual(normaliseEntity("NASA's"), { key: 'nasa', display: 'NASA' })
})

test('empty and punctuation-only forms give an empty key', () => {
  assert.equal(normaliseEntityKey(''), '')
  assert.equal(normaliseEntityKey(' #  '), '')
  assert.equal(normaliseEntityKey('!!!'), '')
})

test('aliases share one canonical id and cache key; the first registration wins', () => {
  const table = new AliasTable()
  table.add('acme-rockets', 'Acme Rockets', ['Acme', '@AcmeRockets'])
  table.add('acme-corp', 'Acme Corporation', ['Acme'])
  assert.equal(table.resolve('acme')?.canonicalId, 'acme-rockets')
  assert.equal(table.resolve(normaliseEntityKey('#AcmeRockets'))?.canonicalId, 'acme-rockets')
  assert.equal(table.resolve('acme corporation')?.canonicalId, 'acme-corp')
  assert.equal(cacheKeyFor(normaliseEntityKey('@AcmeRockets'), table), cacheKeyFor('acme', table))
  assert.equal(cacheKeyFor('acme', table), 'id:acme-rockets')
  assert.equal(cacheKeyFor('unknown thing', table), 'k:unknown thing')
})

test('word-tokenised forms (CoNLL) get the keys of the forms written in posts', () => {
  const cases: Array<[string, string]> = [
    ['Kim Jong - un', 'kim jong-un'],
    ["Victoria ' s Secret", "victoria's secret"],
    ['Victoria’s Secret', "victoria's secret"],
    ["Bill O ' Reilly", "bill o'reilly"],
    ['AT &amp ; T', 'at&t'],
    ['Tom &amp; Jerry', 'tom & jerry'],
    ['Dr . Michael Schneider', 'dr. michael schneider'],
    ['President # Obama', 'president obama'],
    ['Kim_Kardashian', 'kim kardashian']
  ]
  for (const [surface, key] of cases) assert.equal(normaliseEntityKey(surface), key, surface)
})

test('fallback readings split run-on handles and drop a leading article, only as variants', () => {
  assert.deepEqual(entityVariants(normaliseEntity('CondiRice')).map((variant) => variant.key), ['condi rice'])
  assert.deepEqual(entityVariants(normaliseEntity('The Beatles')).map((variant) => variant.key), ['beatles'])
  assert.deepEqual(entityVariants(normaliseEntity('TheRollingStones')).map((variant) => variant.key), ['the rolling stones', 'rolling stones'])
  assert.deepEqual(entityVariants(normaliseEntity('Paris')), [])
  assert.equal(normaliseEntityKey('CondiRice'), 'condirice')
})

test('the shared key vectors (for ports such as training/) match this implementation', async () => {
  const { readFile } = await import('node:fs/promises')
  const file = repoPath('test/fixtures/knowledge/key-vectors.json')
  const { vectors } = JSON.parse(await readFile(file, 'utf8')) as { vectors: Array<{ surface: string, key: string, display: string }> }
  assert.ok(vectors.length >= 30)
  for (const vector of vectors) assert.deepEqual(normaliseEntity(vector.surface), { key: vector.key, display: vector.display }, vector.surface)
})
