import { expect, test } from 'vitest'
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
  for (const [surface, key] of cases) expect(normaliseEntityKey(surface), surface).toBe(key)
})

test('names that are one word keep their inner structure', () => {
  expect(normaliseEntityKey('McDonald')).toBe('mcdonald')
  expect(normaliseEntityKey('iPhone')).toBe('iphone')
  expect(normaliseEntityKey('U.S.')).toBe('u.s.')
  expect(normaliseEntityKey("O'Neill")).toBe("o'neill")
  expect(normaliseEntityKey('Mumbai')).toBe('mumbai')
})

test('display keeps case for case-sensitive sources', () => {
  expect(normaliseEntity('#BellaHadid')).toStrictEqual({ key: 'bella hadid', display: 'Bella Hadid' })
  expect(normaliseEntity("NASA's")).toStrictEqual({ key: 'nasa', display: 'NASA' })
})

test('empty and punctuation-only forms give an empty key', () => {
  expect(normaliseEntityKey('')).toBe('')
  expect(normaliseEntityKey(' #  ')).toBe('')
  expect(normaliseEntityKey('!!!')).toBe('')
})

test('aliases share one canonical id and cache key; the first registration wins', () => {
  const table = new AliasTable()
  table.add('acme-rockets', 'Acme Rockets', ['Acme', '@AcmeRockets'])
  table.add('acme-corp', 'Acme Corporation', ['Acme'])
  expect(table.resolve('acme')?.canonicalId).toBe('acme-rockets')
  expect(table.resolve(normaliseEntityKey('#AcmeRockets'))?.canonicalId).toBe('acme-rockets')
  expect(table.resolve('acme corporation')?.canonicalId).toBe('acme-corp')
  expect(cacheKeyFor(normaliseEntityKey('@AcmeRockets'), table)).toBe(cacheKeyFor('acme', table))
  expect(cacheKeyFor('acme', table)).toBe('id:acme-rockets')
  expect(cacheKeyFor('unknown thing', table)).toBe('k:unknown thing')
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
  for (const [surface, key] of cases) expect(normaliseEntityKey(surface), surface).toBe(key)
})

test('fallback readings split run-on handles and drop a leading article, only as variants', () => {
  expect(entityVariants(normaliseEntity('CondiRice')).map((variant) => variant.key)).toStrictEqual(['condi rice'])
  expect(entityVariants(normaliseEntity('The Beatles')).map((variant) => variant.key)).toStrictEqual(['beatles'])
  expect(entityVariants(normaliseEntity('TheRollingStones')).map((variant) => variant.key)).toStrictEqual(['the rolling stones', 'rolling stones'])
  expect(entityVariants(normaliseEntity('Paris'))).toStrictEqual([])
  expect(normaliseEntityKey('CondiRice')).toBe('condirice')
})

test('the shared key vectors (for ports such as training/) match this implementation', async () => {
  const { readFile } = await import('node:fs/promises')
  const file = repoPath('test/fixtures/knowledge/key-vectors.json')
  const { vectors } = JSON.parse(await readFile(file, 'utf8')) as { vectors: Array<{ surface: string, key: string, display: string }> }
  expect(vectors.length >= 30).toBeTruthy()
  for (const vector of vectors) expect(normaliseEntity(vector.surface), vector.surface).toStrictEqual({ key: vector.key, display: vector.display })
})
