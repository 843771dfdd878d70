import { expect, test } from 'vitest'
import { readFile } from 'node:fs/promises'
import { createCatalogueSource, parseCatalogue, parseCatalogueCsv, userCatalogueNames } from '../../src/knowledge-cache/index.js'
import { repoPath } from '../support/paths.js'

const EXAMPLE_CSV = repoPath('data/catalogue.example.csv')
const EXAMPLE_JSONL = repoPath('data/catalogue.example.jsonl')

function configError (run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect((error as { code?: string }).code).toBe('GS_ERR_CONFIG')
    return (error as Error).message
  }
  expect.fail('no error')
}

test('the CSV example holds the same entries as the JSONL example', async () => {
  const csv = parseCatalogueCsv(await readFile(EXAMPLE_CSV, 'utf8'), 'example.csv')
  const jsonl = parseCatalogue(await readFile(EXAMPLE_JSONL, 'utf8'), 'example.jsonl')
  expect(csv.length).toBe(5)
  expect(csv).toStrictEqual(jsonl)
})

test('columns in any order and case, lists split at |, empty cells absent, yes/no for ambiguous, a BOM and quoted commas', () => {
  const text = '\uFEFFDescription,NAME,Aliases,handles,ambiguous,brand,type\n' +
    '"Soft drink brand, since 1902",Fizzwell,fizz cola | fizzy,@fizzwell,,,ORG\n' +
    '\n' +
    'Italian supermarket chain,Coop,Coop Italia,,yes,,ORG\n' +
    'Sugar-free cola,Fizzwell Zero,,,no,Fizzwell,OTHER\n'
  expect(parseCatalogueCsv(text, 'b.csv')).toStrictEqual([
    { name: 'Fizzwell', description: 'Soft drink brand, since 1902', aliases: ['fizz cola', 'fizzy'], handles: ['@fizzwell'], type: 'ORG' },
    { name: 'Coop', description: 'Italian supermarket chain', aliases: ['Coop Italia'], handles: [], ambiguous: true, type: 'ORG' },
    { name: 'Fizzwell Zero', description: 'Sugar-free cola', aliases: [], handles: [], ambiguous: false, brand: 'Fizzwell', type: 'OTHER' }
  ])
})

test('every bad row is named by file and line, and the header is checked', () => {
  const message = configError(() => parseCatalogueCsv('name,type,description\nGood,ORG,fine\nBad,XYZ,wrong type\nNodesc,ORG,\nToo,ORG,many,cells\n', 'b.csv'))
  expect(message).toMatch(/b\.csv:3: type: /)
  expect(message).toMatch(/b\.csv:4: description: /)
  expect(message).toMatch(/b\.csv:5: 4 cells, the header names 3/)
  expect(message).not.toMatch(/b\.csv:2/)
  expect(configError(() => parseCatalogueCsv('name,colour,description\nA,red,d\n', 'b.csv'))).toMatch(/b\.csv:1: unknown column colour/)
  expect(configError(() => parseCatalogueCsv('title,description\nA,d\n', 'b.csv'))).toMatch(/unknown column title/)
  expect(configError(() => parseCatalogueCsv('description\nd\n', 'b.csv'))).toMatch(/no `name` column/)
  expect(configError(() => parseCatalogueCsv('name,description\n"A,d\n', 'b.csv'))).toMatch(/b\.csv(:\d+)?: not CSV/)
  expect(parseCatalogueCsv('', 'empty.csv')).toStrictEqual([])
})

test('a .csv path is read as CSV by the source and by the names stage 1 proposes', async () => {
  const source = createCatalogueSource({ path: EXAMPLE_CSV, shippedPath: EXAMPLE_JSONL })
  await source.init?.()
  const hit = await source.lookup({ key: 'northwind', display: 'Northwind', signal: new AbortController().signal })
  expect(hit?.canonicalId).toBe('northwind-coffee')
  const names = await userCatalogueNames(EXAMPLE_CSV)
  expect(names.includes('Northwind') && names.includes('J. Doe') && names.includes('#groundstream')).toBeTruthy()
  expect(!names.includes('@janedoe'), 'handles are the tag path').toBeTruthy()
})
