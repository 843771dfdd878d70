// Export of a whole filtered result (GET /api/v1/export, src/api/export.ts) on
// both backends: every matching mention (as many as the API's total), CSV
// with a BOM, RFC 4180 quoting and formula-looking cells neutralised (issue
// 29, CSV injection), JSONL of whole documents; at most two at once.
import { describe, expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { EmbeddedSearch, createApiServer, parseApiConfig } from '../../src/api/index.js'
import { demoDocuments } from '../../src/api/demo.js'
import { CSV_COLUMNS, ExportSlots, csvLine, exportStream } from '../../src/api/export.js'
import type { MentionsAnswer, SearchBackend } from '../../src/api/backend.js'
import type { EntityDocument } from '../../src/contracts/index.js'
import { ROOT } from '../deploy/helpers.js'
import { T0, fixtureDocuments } from './fixtures.js'
import { backendHarness, type BackendName, type Harness } from './harness.js'

const EVIL_TEXT = '=HYPERLINK("http://evil.example","click") says @Acme'

/** The fixture plus one post written to plant a formula in a spreadsheet. */
function docsWithEvil (base: string): EntityDocument[] {
  return [...fixtureDocuments(base), ...demoDocuments([{ id: 'p00', minutesBefore: 1, text: EVIL_TEXT, handle: '-handle', mentions: [{ text: '@Acme', type: 'ORG', score: 0.5 }] }], base, T0)]
}

/** The body as text, a BOM kept (response.text() drops it). */
const keepBom = (bytes: ArrayBuffer): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)

/** Splits CSV text into rows of cells (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') { cell += '"'; i++ } else if (char === '"') quoted = false
      else cell += char
    } else if (char === '"') quoted = true
    else if (char === ',') { row.push(cell); cell = '' } else if (char === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++ } else cell += char
  }
  expect(cell + row.join(''), 'the CSV ends with a line break').toBe('')
  return rows
}

test('CSV cells: formula-looking text gets an apostrophe, quoting where needed, numbers untouched', () => {
  expect(csvLine(['=HYPERLINK("http://evil.example","click")', '+Acme', '-2+3 apples', '@someone', '\tx', '\rx', 'plain, with a comma', 0.93, -1, null, 'a "quote"'])).toBe('"\'=HYPERLINK(""http://evil.example"",""click"")",\'+Acme,\'-2+3 apples,\'@someone,\'\tx,"\'\rx","plain, with a comma",0.93,-1,,"a ""quote"""\r\n')
})

test('export slots: at most the limit at once, and a release frees one (once)', () => {
  const slots = new ExportSlots(2)
  const first = slots.take()
  const second = slots.take()
  assert.ok(first !== null && second !== null)
  expect(slots.take()).toBe(null)
  first()
  first()
  const third = slots.take()
  expect(third !== null).toBeTruthy()
  expect(slots.take(), 'a second release of the same slot frees nothing').toBe(null)
})

test('the export pages through the store: each mention exactly once, whatever the page size', async () => {
  const search = await EmbeddedSearch.open({ limits: parseApiConfig({}).limits, now: () => T0 })
  try {
    const docs = fixtureDocuments('/media')
    search.add(docs)
    const chunks: string[] = []
    for await (const chunk of await exportStream(search, {}, 'jsonl', undefined, 4)) chunks.push(String(chunk))
    const ids = chunks.join('').trimEnd().split('\n').map((l) => (JSON.parse(l) as EntityDocument).id)
    expect(ids.length).toBe(docs.length)
    expect(new Set(ids)).toStrictEqual(new Set(docs.map((d) => d.id)))
  } finally {
    await search.close()
  }
})

const BACKENDS: readonly BackendName[] = ['elasticsearch', 'embedded']

for (const backend of BACKENDS) describe(`export on ${backend}`, () => {
  const need = backendHarness(backend, { docs: docsWithEvil, mediaDir: ROOT, now: T0 })

  async function download (h: Harness, query: string): Promise<{ status: number, headers: Headers, text: string }> {
    const response = await fetch(`${h.server.url}/api/v1/export?${query}`)
    return { status: response.status, headers: response.headers, text: keepBom(await response.arrayBuffer()) }
  }

  test('CSV: a BOM, the header, every matching mention (the API total), the planted formula neutralised', async (t) => {
    const h = need(t)
    if (h === null) return
    const { status, headers, text } = await download(h, 'format=csv')
    expect(status).toBe(200)
    expect(headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(headers.get('content-disposition')).toBe('attachment; filename="groundstream-202601101200.csv"')
    expect(text.startsWith('\uFEFFpost_id,created_at,'), 'UTF-8 BOM, then the header').toBeTruthy()
    const rows = parseCsv(text.slice(1))
    expect(rows[0]).toStrictEqual([...CSV_COLUMNS])
    const total = (await h.get('/api/v1/mentions?size=1')).body.total as { value: number }
    expect(rows.length - 1).toBe(total.value)
    expect(rows.length - 1).toBe(h.docs.length)
    const evil = rows.find((r) => r[0] === 'p00')
    assert.ok(evil !== undefined)
    const cell = (name: typeof CSV_COLUMNS[number]): string => evil[CSV_COLUMNS.indexOf(name)] ?? ''
    expect(cell('post_text')).toBe(`'${EVIL_TEXT}`)
    expect(cell('entity')).toBe("'@Acme")
    expect(cell('author_handle')).toBe("'-handle")
    for (const row of rows) for (const value of row) expect(value, value).not.toMatch(/^[=+\-@\t\r]/u)
    expect(cell('score'), 'numbers as they are').toBe('0.5')
    // Boxes are written as x y w h.
    const boxed = rows.find((r) => r[0] === 'p02' && r[4] === 'Alice Smith')
    expect(boxed?.[CSV_COLUMNS.indexOf('box')]).toBe('0.5500 0.1500 0.3000 0.7000')
  })

  test('CSV and JSONL take the list filters, post text search included', async (t) => {
    const h = need(t)
    if (h === null) return
    const csv = parseCsv((await download(h, 'format=csv&type=PER')).text.slice(1))
    expect(csv.slice(1).map((r) => [r[0], r[4]])).toStrictEqual([['p02', 'Alice Smith'], ['p04', 'Alice Smith']])
    const jsonl = await download(h, `format=jsonl&text=${encodeURIComponent('"old news" -merger')}`)
    expect(jsonl.status).toBe(200)
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8')
    expect(jsonl.headers.get('content-disposition') ?? '').toMatch(/^attachment; filename="groundstream-\d{12}\.jsonl"$/)
    const lines = jsonl.text.trimEnd().split('\n').map((l) => JSON.parse(l) as EntityDocument & { _score?: unknown })
    const expected = (await h.get(`/api/v1/mentions?size=100&text=${encodeURIComponent('"old news" -merger')}`)).body.mentions as EntityDocument[]
    expect(lines.map((d) => d.id)).toStrictEqual(expected.map((d) => d.id))
    expect(lines.length).toBe(5)
    expect(lines.every((d) => d._score === undefined && typeof d.post.text === 'string'), 'whole entity documents, as serve --from reads them').toBeTruthy()
    const bad = await h.get('/api/v1/export?format=xlsx&text=%22open')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toMatch(/format.*text: the quote|text: the quote.*format/)
  })
})

test('at most two exports stream at once: a third gets 429 at once, and a slot frees when one ends', async () => {
  // A store whose every later page waits until the test lets it go.
  const waiting: Array<() => void> = []
  const page = (next: string | null): MentionsAnswer => ({ total: { value: 2, relation: 'eq' }, mentions: fixtureDocuments('/media').slice(0, 1).map((d) => ({ ...d, _score: null })), next, timed_out: false })
  const unused = async (): Promise<never> => { throw new Error('not used by export') }
  const slow: SearchBackend = {
    kind: 'embedded',
    ready: async () => ({ ok: true }),
    mentions: async (request) => request.cursor === undefined ? page('later') : await new Promise((resolve) => waiting.push(() => resolve(page(null)))),
    timeline: unused,
    trending: unused,
    cooccurring: unused,
    recentPosts: unused,
    extent: unused,
    close: async () => {}
  }
  const server = await createApiServer(parseApiConfig({ host: '127.0.0.1', port: 0 }), { search: slow, registry: new Registry(), root: ROOT })
  try {
    const running = await Promise.all([1, 2].map(async () => await fetch(`${server.url}/api/v1/export?format=jsonl`)))
    expect(running.map((r) => r.status)).toStrictEqual([200, 200])
    const refused = await fetch(`${server.url}/api/v1/export?format=csv`)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(await refused.json()).toStrictEqual({ error: { code: 'GS_ERR_OVERLOADED', message: 'at most 2 exports run at once; try again when one has finished' } })
    while (waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    for (const go of waiting.splice(0)) go()
    const bodies = await Promise.all(running.map(async (r) => await r.text()))
    expect(bodies.every((b) => b.trimEnd().split('\n').length === 2), 'both pages of each export').toBeTruthy()
    const after = await fetch(`${server.url}/api/v1/export?format=csv`)
    expect(after.status).toBe(200)
    while (waiting.length < 1) await new Promise((resolve) => setTimeout(resolve, 10))
    for (const go of waiting.splice(0)) go()
    expect(keepBom(await after.arrayBuffer())).toMatch(/^\uFEFFpost_id,/)
    // A client that goes away part way frees its slot too.
    const leaving = await Promise.all([1, 2].map(async () => {
      const controller = new AbortController()
      const response = await fetch(`${server.url}/api/v1/export?format=jsonl`, { signal: controller.signal })
      return { response, controller }
    }))
    expect(leaving.map((l) => l.response.status)).toStrictEqual([200, 200])
    expect((await fetch(`${server.url}/api/v1/export`)).status).toBe(429)
    for (const { controller } of leaving) controller.abort()
    let status = 429
    for (let i = 0; i < 100 && status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const retry = await fetch(`${server.url}/api/v1/export?format=jsonl`)
      status = retry.status
      if (status === 200) await retry.body?.cancel()
    }
    expect(status, 'the aborted exports gave their slots back').toBe(200)
    for (const go of waiting.splice(0)) go()
  } finally {
    await server.close()
  }
})
