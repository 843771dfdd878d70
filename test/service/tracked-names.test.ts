// A user's catalogue, end to end through the service `run` builds: its names
// are candidates wherever they are written (lower case, with an ending, a
// product name stage 1 never saw), typed and linked as the entries say.
// Project-written posts and catalogue; the shipped models.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config/index.js'
import type { EntityDocument, PostInput } from '../../src/contracts/index.js'
import { installDefaults, startInMemoryProcessor, type InMemoryProcessor } from '../../src/service/index.js'

const CATALOGUE = [
  { id: 'acme:fizz', name: 'Fizzwell', aliases: ['fizz cola'], type: 'ORG', description: 'soft drink brand' },
  { id: 'acme:fizz-zero', name: 'Fizzwell Zero', type: 'OTHER', brand: 'Fizzwell', description: 'sugar-free cola by Fizzwell' },
  { id: 'acme:larchmont', name: 'Larchmont Outfitters', aliases: ['Larchmont'], type: 'ORG', description: 'outdoor clothing retailer' }
]

const POSTS: PostInput[] = [
  { id: 't1', text: 'nothing beats an ice cold fizz cola after the gym' },
  { id: 't2', text: "Larchmont's winter jackets are finally back in stock" },
  { id: 't3', text: 'swapped to fizzwell zero this month and honestly cannot tell' },
  { id: 't4', text: 'Rain all day in Manchester again' }
].map((post) => ({ ...post, created_at: '2026-12-07T10:00:00Z' }))

let dir = ''
let processor: InMemoryProcessor | null = null

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gs-tracked-'))
  const file = path.join(dir, 'brands.jsonl')
  await writeFile(file, CATALOGUE.map((entry) => JSON.stringify(entry)).join('\n') + '\n')
  const config = loadConfig({
    env: {},
    defaults: installDefaults(),
    overrides: { knowledge: { enabled: true, cataloguePath: file }, images: { enabled: false }, metrics: { port: 0 } }
  })
  processor = await startInMemoryProcessor(config, pino({ level: 'warn' }), { registry: new Registry() })
}, 120_000)

afterAll(async () => {
  await processor?.close()
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

async function documentsOf (posts: PostInput[]): Promise<Map<string, EntityDocument[]>> {
  if (processor === null) throw new Error('the processor did not start')
  const run = await processor.process(posts)
  expect(run.deadLetters.map((letter) => `${letter.reason}: ${letter.detail}`)).toStrictEqual([])
  return new Map(run.works.map((work, i) => [work.post.id, run.documents[i] ?? []]))
}

const mentions = (documents: EntityDocument[] | undefined): Array<[string, string, string | null, string | null]> =>
  (documents ?? []).map((doc) => [doc.entity.text, doc.entity.type, doc.entity.canonical_id, doc.entity.brand ?? null])

test("the user's names are found, typed and linked as the catalogue says", async () => {
  const byPost = await documentsOf(POSTS)
  expect(mentions(byPost.get('t1')), 'a lower-case alias').toStrictEqual([['fizz cola', 'ORG', 'acme:fizz', 'Fizzwell']])
  expect(mentions(byPost.get('t2')), 'an alias with an ending (the document names it without)').toStrictEqual([['Larchmont', 'ORG', 'acme:larchmont', 'Larchmont Outfitters']])
  expect(mentions(byPost.get('t3')), 'a product, with its brand').toStrictEqual([['fizzwell zero', 'OTHER', 'acme:fizz-zero', 'Fizzwell']])
  const manchester = mentions(byPost.get('t4'))
  expect(manchester.some(([text, type]) => text === 'Manchester' && type === 'LOC'), 'posts without user names are as before').toBeTruthy()
}, 120_000)
