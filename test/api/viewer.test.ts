// The viewer page in headless Chromium (Debian's chromium driven by
// playwright-core), served by the real API server over the fixture documents
// (the embedded store of `serve --from`; test/api/api.test.ts holds it equal
// to Elasticsearch), with project-made images from the same server: it loads,
// draws a labelled box where the index has one (at the right place on the
// image), and each panel works: filters, search, date range, timeline chart,
// entity card, mentioned-together-with, watchlist, trending, paging back
// through older posts, post-text search, export of the whole result, links.
// GS_SCREENSHOT_DIR=docs/screenshots keeps the screenshots for the docs.
import { afterAll, beforeAll, expect, test, type TestContext } from 'vitest'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ROOT, requireTool } from '../deploy/helpers.js'
import { DEMO_POSTS, demoDocuments } from '../../src/api/demo.js'
import { startEmbeddedHarness, type Harness } from './harness.js'

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let harness: Harness | null = null
let context: BrowserContext | null = null
let profile: string | null = null
const screenshots = process.env.GS_SCREENSHOT_DIR === undefined ? mkdtempSync(join(tmpdir(), 'gs-shots-')) : resolve(ROOT, process.env.GS_SCREENSHOT_DIR)

beforeAll(async () => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  // A missing browser is reported by each test (skip locally, fail under CI).
  if (!existsSync(executable)) return
  harness = await startEmbeddedHarness()
  profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    timeout: 60_000
  })
})

afterAll(async () => {
  await context?.close()
  await harness?.close()
  if (profile !== null) rmSync(profile, { recursive: true, force: true })
  if (process.env.GS_SCREENSHOT_DIR === undefined) rmSync(screenshots, { recursive: true, force: true })
})

/** The server the page talks to (default the shared harness), and console errors the test expects (a stopped server's failed requests). */
interface OpenOptions { server?: Harness, expectedErrors?: RegExp }

async function openViewer (t: TestContext, query = '', options: OpenOptions = {}): Promise<Page | null> {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  // `command -v` takes the absolute path too: missing skips locally, fails under CI.
  if (requireTool(t, executable) === null) return null
  assert.ok(harness !== null && context !== null, 'the server or chromium did not start')
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && !(options.expectedErrors?.test(message.text()) ?? false)) problems.push(message.text())
  })
  t.onTestFinished(async () => {
    await page.close()
    expect(problems, 'no script errors in the page').toStrictEqual([])
  })
  await page.goto(`${(options.server ?? harness).server.url}/?at=2026-01-10T12:00:00Z&refresh=600${query}`)
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 })
  return page
}

/** What the page-side callbacks read off elements (the test compiles without the DOM lib). */
interface WithDataset { dataset: Record<string, string | undefined> }
interface DocumentLike { querySelectorAll (selector: string): Iterable<WithDataset & { complete?: boolean, naturalWidth?: number }> }
// Page-side code is passed as functions, not strings: the page's CSP forbids eval.

const postIds = async (page: Page): Promise<string[]> => page.$$eval('article.post', (nodes) => nodes.map((n) => (n as unknown as WithDataset).dataset.postId ?? ''))

async function settle (page: Page, expected: string[]): Promise<void> {
  await page.waitForFunction((ids) => {
    const doc = (globalThis as unknown as { document: DocumentLike }).document
    return JSON.stringify([...doc.querySelectorAll('article.post')].map((n) => n.dataset.postId)) === JSON.stringify(ids)
  }, expected, { timeout: 10_000 }).catch((error: unknown) => { process.stderr.write(`settle: ${String(error)}\n`) })
  expect(await postIds(page)).toStrictEqual(expected)
}

test('the viewer loads the live list, newest first, with entities marked in the text', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  expect(await postIds(page)).toStrictEqual(['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08', 'p09', 'p10', 'p11'])
  const marks = await page.$$eval('article[data-post-id="p05"] mark.mention', (nodes) => nodes.map((n) => `${n.textContent ?? ''}|${n.className}`))
  expect(marks).toStrictEqual(['Acme|mention ORG', 'Paris|mention LOC', 'Lyon|mention LOC'])
  const tooltips = await page.$$eval('article[data-post-id="p05"] mark.mention', (nodes) => nodes.map((n) => n.getAttribute('title') ?? ''))
  expect(tooltips[1] ?? '', 'the tooltip says what the mention is linked to').toMatch(/Paris — Capital city of France \(Q90\)/u)
  expect(tooltips[2] ?? '', 'an unlinked mention has no link line').not.toMatch(/—/u)
  expect(await page.title()).toBe('groundstream · entity viewer')
  expect(await page.textContent('#posts-count')).toBe('11 of 11 posts shown')
  expect(await page.isVisible('#load-older'), 'nothing older to load').toBe(false)
})

test('boxes are drawn and labelled where the index has them, at the box position on the image', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: DocumentLike }).document
    return [...doc.querySelectorAll('.figure img')].every((img) => img.complete === true && (img.naturalWidth ?? 0) > 0)
  }, undefined, { timeout: 10_000 })
  const boxes = await page.$$eval('.box', (nodes) => nodes.map((n) => n.querySelector('.label')?.textContent ?? ''))
  expect(boxes.sort()).toStrictEqual(['Acme · ORG', 'Acme · ORG', 'Alice Smith · PER', 'Eiffel Tower · LOC'])
  // Posts with no box have no figure boxes; p02 has two.
  expect(await page.locator('article[data-post-id="p03"] .box').count()).toBe(0)
  expect(await page.locator('article[data-post-id="p02"] .box').count()).toBe(2)
  // The Alice Smith box {x .55, y .15, w .3, h .7} lies on the image where the index says.
  const geometry = await page.$eval('article[data-post-id="p02"] .box[data-entity="alice smith"]', (box) => {
    const img = box.parentElement?.querySelector('img') as typeof box
    const b = box.getBoundingClientRect()
    const i = img.getBoundingClientRect()
    return { x: (b.left - i.left) / i.width, y: (b.top - i.top) / i.height, w: b.width / i.width, h: b.height / i.height }
  })
  for (const [key, want] of Object.entries({ x: 0.55, y: 0.15, w: 0.3, h: 0.7 })) {
    expect(Math.abs(geometry[key as keyof typeof geometry] - want) < 0.01, `${key}: ${geometry[key as keyof typeof geometry]} vs ${want}`).toBeTruthy()
  }
  // Every label lies inside its image, and p02's two labels do not overlap.
  const labels = await page.$$eval('.figure', (figures) => figures.map((figure) => {
    const image = (figure.querySelector('img') as typeof figure).getBoundingClientRect()
    return [...figure.querySelectorAll('.box .label')].map((label) => {
      const r = label.getBoundingClientRect()
      return { left: r.left - image.left, top: r.top - image.top, right: image.right - r.right, bottom: image.bottom - r.bottom, x: r.left, y: r.top, w: r.width, h: r.height }
    })
  }))
  for (const label of labels.flat()) {
    expect(Math.min(label.left, label.top, label.right, label.bottom), JSON.stringify(label)).toBeGreaterThanOrEqual(-0.5)
  }
  const [first, second] = labels.find((figure) => figure.length === 2) ?? []
  assert.ok(first !== undefined && second !== undefined)
  const apart = first.x + first.w <= second.x + 0.5 || second.x + second.w <= first.x + 0.5 || first.y + first.h <= second.y + 0.5 || second.y + second.h <= first.y + 0.5
  expect(apart, 'the two labels on p02 do not overlap').toBe(true)
  mkdirSync(screenshots, { recursive: true })
  await page.locator('article[data-post-id="p02"]').screenshot({ path: join(screenshots, 'viewer-boxes.png') })
})

test('trending asks for the server\'s minimum count: no "1 vs 0" entries', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  // acme 6 vs 1; alice smith (2 vs 0) is under the default min_count of 3.
  const rows = await page.$$eval('#trending-list li', (nodes) => nodes.map((n) => `${(n as unknown as WithDataset).dataset.entity ?? ''}|${n.querySelector('.counts')?.textContent ?? ''}|${n.querySelector('.counts')?.getAttribute('title') ?? ''}`))
  expect(rows).toStrictEqual(['acme|6 vs 1|6 mentions in the last 1h, 1 in the 1h before'])
})

test('filters by type, entity and has-box narrow the list; trending panel lists rising entities', async (t) => {
  // min_count in the page URL goes to /trending (and stays in the shareable URL).
  const page = await openViewer(t, '&min_count=2')
  if (page === null) return
  expect(page.url()).toMatch(/min_count=2/)
  const trending = await page.$$eval('#trending-list li', (nodes) => nodes.map((n) => (n as unknown as WithDataset).dataset.entity ?? ''))
  expect(trending.slice(0, 2)).toStrictEqual(['acme', 'alice smith'])

  for (const type of ['LOC', 'ORG', 'OTHER']) await page.uncheck(`#types input[value="${type}"]`)
  await settle(page, ['p02', 'p04'])
  expect(page.url()).toMatch(/type=PER/)
  await page.click('#clear')
  await settle(page, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08', 'p09', 'p10', 'p11'])

  await page.fill('#entity', 'Paris')
  await settle(page, ['p01', 'p03', 'p05', 'p09', 'p10', 'p11'])
  // Filters apply to mentions: an Acme mention that is grounded in the image.
  await page.fill('#entity', '#ACME')
  await page.check('#has-box')
  await settle(page, ['p01', 'p02'])
  await page.fill('#entity', 'Paris')
  await settle(page, [])
  expect(await page.textContent('#posts .empty')).toBe('No posts match these filters.')
  await page.click('#clear')

  await page.check('#has-box')
  await settle(page, ['p01', 'p02', 'p07'])
  await page.uncheck('#has-box')

  // Clicking a trending entity filters by it.
  await page.click('#trending-list li[data-entity="alice smith"] button')
  await settle(page, ['p02', 'p04'])
  expect(await page.inputValue('#entity')).toBe('alice smith')
  mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: join(screenshots, 'viewer-filtered.png'), fullPage: false })
})

test('a page opened with filters in its URL starts filtered', async (t) => {
  const page = await openViewer(t, '&type=LOC&has_box=true')
  if (page === null) return
  expect(await postIds(page)).toStrictEqual(['p07'])
  expect(await page.isChecked('#types input[value="PER"]')).toBe(false)
  expect(await page.isChecked('#has-box')).toBe(true)
})

test('a stopped server: a banner says so over the stale data, and goes once the server answers again', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(harness !== null)
  const main = harness
  const own = await startEmbeddedHarness()
  let closed = false
  t.onTestFinished(async () => { if (!closed) await own.close() })
  const openedAt = new Date().toISOString().slice(11, 16)
  const page = await openViewer(t, '', { server: own, expectedErrors: /ERR_CONNECTION_REFUSED|ERR_FAILED|Failed to load resource/u })
  if (page === null) return
  expect(await page.isVisible('#offline')).toBe(false)
  // A watched entity: its requests fail too, and must not surface as an unhandled error.
  await page.evaluate(() => { (globalThis as unknown as { localStorage: { setItem (k: string, v: string): void } }).localStorage.setItem('groundstream.watchlist', '["acme"]') })
  t.onTestFinished(async () => { await page.evaluate(() => { (globalThis as unknown as { localStorage: { clear (): void } }).localStorage.clear() }).catch(() => {}) })
  await own.close()
  closed = true
  // Any refresh finds the server gone: a filter typed in starts one.
  await page.fill('#q', 'acme')
  await page.waitForSelector('#offline:not([hidden])', { timeout: 10_000 })
  const origin = own.server.url.replace(/\/$/u, '')
  // The data's time is the last load's, before the server went; read the clock either side of that minute.
  const banner = await page.textContent('#offline') ?? ''
  const shown = /showing data from (\d\d:\d\d) UTC/u.exec(banner)?.[1]
  expect(banner).toBe(`Cannot reach the groundstream server at ${origin}; showing data from ${shown ?? '?'} UTC. Retrying…`)
  expect([openedAt, new Date().toISOString().slice(11, 16)]).toContain(shown)
  expect(await page.getAttribute('body', 'data-stale')).toBe('true')
  expect(await postIds(page), 'the data loaded before stays on screen').toHaveLength(11)
  // The server is back (its requests answered by the shared one): the retry clears the banner.
  await page.route('**/api/v1/**', async (route) => {
    const url = new URL(route.request().url())
    await route.fulfill({ response: await route.fetch({ url: `${main.server.url.replace(/\/$/u, '')}${url.pathname}${url.search}` }) })
  })
  await page.waitForSelector('#offline', { state: 'hidden', timeout: 10_000 })
  expect(await page.getAttribute('body', 'data-stale')).toBe(null)
  await settle(page, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p10'])
})

/** Sum of the chart's bar counts and the number of bars. */
async function chart (page: Page): Promise<{ bars: number, total: number }> {
  const counts = await page.$$eval('#timeline-chart rect.bar', (nodes) => nodes.map((n) => Number((n as unknown as WithDataset).dataset.count)))
  return { bars: counts.length, total: counts.reduce((s, c) => s + c, 0) }
}

test('timeline chart: one bar per bucket of the range, counts summing to the mentions shown, UTC axis', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  assert.ok(harness !== null)
  // Last 24 hours before the pinned clock, auto interval 15m: 96 bars.
  expect(await chart(page)).toStrictEqual({ bars: 96, total: harness.docs.length })
  expect(await page.textContent('#timeline-total') ?? '').toMatch(new RegExp(`^${harness.docs.length} mentions · per 15m · 2026-01-09 12:00 – 2026-01-10 12:00 UTC$`))
  const tooltip = await page.$eval('#timeline-chart rect.bar[data-count="3"]', (n) => n.querySelector('title')?.textContent ?? '')
  expect(tooltip).toMatch(/^3 mentions · 2026-01-10 \d\d:\d\d UTC \(15m\)$/)
  // The y axis: distinct whole numbers from 0, in steps of 2 (the top 15-minute count is over 4).
  expect(await page.$$eval('#timeline-chart text.axis.y', (nodes) => nodes.map((n) => n.textContent ?? ''))).toStrictEqual(['0', '2', '4', '6'])
  // The x labels lie inside the chart, the first one too.
  const overflow = await page.$eval('#timeline-chart svg', (svg) => {
    const box = svg.getBoundingClientRect()
    return [...svg.querySelectorAll('text.axis.x')].map((n) => n.getBoundingClientRect()).filter((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5).length
  })
  expect(overflow, 'x labels crossing the chart\'s edges').toBe(0)
  await page.fill('#entity', 'acme')
  await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector (s: string): { textContent: string | null } | null } }).document.querySelector('#timeline-total')?.textContent ?? '').startsWith('7 mentions'), undefined, { timeout: 10_000 })
  expect((await chart(page)).total).toBe(7)
})

test('search box: free text over entity names and canonical titles', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.fill('#q', 'corporation')
  await settle(page, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p10'])
  expect(page.url()).toMatch(/q=corporation/)
  await page.fill('#q', 'eiffel')
  await settle(page, ['p07'])
})

test('date range: presets relative to the API clock, and a custom UTC range', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.selectOption('#range', '1h')
  await settle(page, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07'])
  expect(page.url()).toMatch(/range=1h/)
  await page.selectOption('#range', 'custom')
  expect(await page.isVisible('#from')).toBe(true)
  await page.fill('#from', '2026-01-10T10:00')
  await page.dispatchEvent('#from', 'change')
  await page.fill('#to', '2026-01-10T10:40')
  await page.dispatchEvent('#to', 'change')
  await settle(page, ['p10', 'p11'])
  expect(page.url()).toMatch(/from=2026-01-10T10%3A00&to=2026-01-10T10%3A40/)
  expect((await chart(page)).total).toBe(4)
  mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: join(screenshots, 'viewer-range.png'), fullPage: false })
})

test('posts link to the original post; every time on the page is UTC', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  const link = page.locator('article[data-post-id="p01"] a.post-link')
  expect(await link.getAttribute('href')).toBe('https://posts.example/citynews/p01')
  expect(await link.getAttribute('rel')).toBe('noopener noreferrer')
  expect(await page.locator('article[data-post-id="p02"] a.post-link').count(), 'no link without a post URL').toBe(0)
  const times = await page.$$eval('article.post time', (nodes) => nodes.map((n) => n.textContent ?? ''))
  expect(times.length === 11 && times.every((text) => /^2026-01-10 \d\d:\d\d UTC$/u.test(text)), times.join(', ')).toBeTruthy()
  expect(times[0]).toBe('2026-01-10 11:55 UTC')
  expect(await page.textContent('#status') ?? '').toMatch(/^updated \d\d:\d\d:\d\d UTC/)
  expect(await page.textContent('footer') ?? '').toMatch(/All times are UTC/)
})

test('entity card and mentioned-together-with for the selected entity', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.click('article[data-post-id="p01"] .chip[data-entity="acme"]')
  await page.waitForSelector('#entity-card:not([hidden]) dd[data-fact="mentions"]')
  expect(await page.textContent('#entity-card .title')).toBe('Acme Corporation')
  const facts = await page.$$eval('#entity-card dd', (nodes) => Object.fromEntries(nodes.map((n) => [(n as unknown as WithDataset).dataset.fact ?? '', n.textContent ?? ''])))
  expect(facts.type).toBe('ORG')
  expect(facts.mentions).toBe('7')
  expect(facts.posts).toBe('7')
  expect(facts['canonical id']).toBe('Q-acme')
  expect(facts.trending).toBe('6 vs 1 (1h)')
  const together = await page.$$eval('#together-list li', (nodes) => nodes.map((n) => `${(n as unknown as WithDataset).dataset.entity ?? ''}|${n.querySelector('.counts')?.textContent ?? ''}`))
  expect(together.slice(0, 2)).toStrictEqual(['paris|4 posts', 'alice smith|2 posts'])
  // Choosing a co-occurring entity moves the card to it.
  await page.click('#together-list li[data-entity="paris"] button')
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector (s: string): { textContent: string | null } | null } }).document.querySelector('#entity-card .title')?.textContent === 'Paris', undefined, { timeout: 10_000 })
  expect(await page.inputValue('#entity')).toBe('paris')
})

test('watchlist: a watched entity shows its hourly counts and a spike badge when it jumps', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  try {
    await watchlistChecks(page)
  } finally {
    // The browser profile is shared by the tests: leave no watchlist behind.
    await page.evaluate(() => { (globalThis as unknown as { localStorage: { clear (): void } }).localStorage.clear() })
  }
})

async function watchlistChecks (page: Page): Promise<void> {
  expect(await page.textContent('#watch-list') ?? '').toMatch(/select an entity and press/)
  for (const entity of ['acme', 'paris']) {
    await page.fill('#entity', entity)
    await page.waitForSelector(`#entity-card:not([hidden]) #watch-toggle[aria-pressed="false"]`)
    await page.waitForFunction((e) => (globalThis as unknown as { document: { querySelector (s: string): { value: string } | null } }).document.querySelector('#entity')?.value === e, entity)
    await page.click('#watch-toggle')
    await page.waitForSelector(`#watch-list li[data-entity="${entity}"]`)
  }
  const rows = await page.$$eval('#watch-list li', (nodes) => nodes.map((n) => `${(n as unknown as WithDataset).dataset.entity ?? ''}|${(n as unknown as WithDataset).dataset.spike ?? ''}|${n.querySelector('.counts')?.textContent ?? ''}|${n.querySelector('.badge')?.textContent ?? ''}`))
  // acme: 6 in the last hour vs 1 the hour before (spike); paris: 3 and 3 (steady).
  expect(rows).toStrictEqual(['acme|true|6 this hour · 1 the hour before · 0.0/h over the day|▲ ×6', 'paris|false|3 this hour · 3 the hour before · 0.1/h over the day|'])
  await page.reload()
  await page.waitForSelector('#watch-list li[data-entity="acme"] .badge.spike')
  await page.click('#watch-list li[data-entity="paris"] .unwatch')
  await page.waitForFunction(() => [...(globalThis as unknown as { document: DocumentLike }).document.querySelectorAll('#watch-list li')].length === 1)
  mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: join(screenshots, 'viewer-watchlist.png'), fullPage: false })
}

test('export links download the whole filtered result from the server, as CSV and as JSONL', async (t) => {
  const page = await openViewer(t, '&type=PER')
  if (page === null) return
  expect(await postIds(page)).toStrictEqual(['p02', 'p04'])
  const href = await page.getAttribute('#export-csv', 'href') ?? ''
  expect(href).toMatch(/^\/api\/v1\/export\?type=PER&from=2026-01-09T12%3A00%3A00\.000Z&to=2026-01-10T12%3A00%3A00\.000Z&format=csv$/)
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')])
  const csvText = new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync(await csv.path()))
  expect(csvText.startsWith('\uFEFF'), 'a UTF-8 BOM for spreadsheets').toBeTruthy()
  const lines = csvText.slice(1).trimEnd().split('\r\n')
  expect(lines[0]).toBe('post_id,created_at,author_handle,post_url,entity,normalised,type,score,canonical_id,canonical_title,brand,box,image_url,post_text')
  // Every matching mention: the PER ones of p02 and p04.
  expect(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')[4]])).toStrictEqual([['p02', 'Alice Smith'], ['p04', 'Alice Smith']])
  expect(csv.suggestedFilename()).toMatch(/^groundstream-20260110\d{4}\.csv$/)
  const [jsonl] = await Promise.all([page.waitForEvent('download'), page.click('#export-jsonl')])
  expect(jsonl.suggestedFilename()).toMatch(/^groundstream-20260110\d{4}\.jsonl$/)
  const docs = readFileSync(await jsonl.path(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { post_id: string, entity: { type: string }, box: { x: number } | null })
  expect(docs.map((d) => [d.post_id, d.entity.type])).toStrictEqual([['p02', 'PER'], ['p04', 'PER']])
  expect(docs[0]?.box?.x).toBe(0.55)
  // The links follow the filters.
  await page.uncheck('#types input[value="PER"]')
  await page.check('#types input[value="LOC"]')
  await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector (s: string): { getAttribute (n: string): string | null } | null } }).document.querySelector('#export-jsonl')?.getAttribute('href') ?? '').includes('type=LOC'), undefined, { timeout: 10_000 })
})

test('post text search: phrases and NOT in the post-text box, kept in the URL', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.fill('#text', '"old news" -merger')
  await settle(page, ['p09', 'p10'])
  expect(page.url()).toMatch(/text=%22old\+news%22\+-merger/)
  expect(await page.textContent('#posts-count')).toBe('2 of 2 posts shown')
  expect(await page.getAttribute('#export-csv', 'href') ?? '').toMatch(/text=%22old\+news%22\+-merger/)
  await page.fill('#text', 'tower OR merger')
  await settle(page, ['p07', 'p08'])
  await page.click('#clear')
  await settle(page, ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08', 'p09', 'p10', 'p11'])
  expect(await page.inputValue('#text')).toBe('')
})

test('post text search: a malformed query says what is wrong', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(harness !== null && context !== null, 'the server or chromium did not start')
  // Not openViewer: the 400 is logged as a console error on purpose.
  const page = await context.newPage()
  try {
    await page.goto(`${harness.server.url}/?at=2026-01-10T12:00:00Z&refresh=600&text=${encodeURIComponent('"old news')}`)
    await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector (s: string): { textContent: string | null } | null } }).document.querySelector('#status')?.textContent ?? '').startsWith('error'), undefined, { timeout: 20_000 })
    expect(await page.textContent('#status')).toBe('error: invalid request: text: the quote at character 1 is not closed')
  } finally {
    await page.close()
  }
})

test('"Load older posts" pages back with the cursor: each post once, "N of M shown", and the button goes at the end', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(context !== null, 'chromium did not start')
  const { T0 } = await import('./fixtures.js')
  // 70 posts a minute apart, two of them at the same second (the cursor's tie-break by post id).
  const many = Array.from({ length: 70 }, (_, i) => ({ id: `m${String(i).padStart(2, '0')}`, minutesBefore: i === 31 ? 30 : i + 1, text: `Post ${i} about Acme`, mentions: [{ text: 'Acme', type: 'ORG' as const }] }))
  const paged = await startEmbeddedHarness({}, { docs: (base) => demoDocuments(many, base, T0), mediaDir: tmpdir(), now: T0 })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  try {
    await page.goto(`${paged.server.url}/?at=2026-01-10T12:00:00Z&refresh=600`)
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 })
    expect((await postIds(page)).length).toBe(30)
    expect(await page.textContent('#posts-count')).toBe('30 of 70 posts shown')
    await page.click('#load-older')
    await page.waitForFunction(() => [...(globalThis as unknown as { document: DocumentLike }).document.querySelectorAll('article.post')].length === 60, undefined, { timeout: 10_000 })
    expect(await page.textContent('#posts-count')).toBe('60 of 70 posts shown')
    expect(await page.isVisible('#load-older')).toBe(true)
    await page.click('#load-older')
    await page.waitForFunction(() => [...(globalThis as unknown as { document: DocumentLike }).document.querySelectorAll('article.post')].length === 70, undefined, { timeout: 10_000 })
    expect(await page.textContent('#posts-count')).toBe('70 of 70 posts shown')
    expect(await page.isVisible('#load-older')).toBe(false)
    const ids = await postIds(page)
    expect(new Set(ids).size, 'each post exactly once').toBe(70)
    const times = await page.$$eval('article.post time', (nodes) => nodes.map((n) => n.getAttribute('datetime') ?? ''))
    expect(times, 'newest first throughout').toStrictEqual([...times].sort().reverse())
    // New filters start again from the newest page.
    await page.fill('#text', 'acme')
    await page.waitForFunction(() => [...(globalThis as unknown as { document: DocumentLike }).document.querySelectorAll('article.post')].length === 30, undefined, { timeout: 10_000 })
    expect(await page.textContent('#posts-count')).toBe('30 of 70 posts shown')
    expect(problems, 'no script errors in the page').toStrictEqual([])
  } finally {
    await page.close()
    await paged.close()
  }
})

test('the post grid leaves no blank gaps: each card starts right under the one above it', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: DocumentLike }).document
    return [...doc.querySelectorAll('.figure img')].every((img) => img.complete === true && (img.naturalWidth ?? 0) > 0)
  }, undefined, { timeout: 10_000 })
  const rects = await page.$$eval('article.post', (nodes) => nodes.map((n) => { const r = n.getBoundingClientRect(); return { left: Math.round(r.left), top: r.top, bottom: r.bottom } }))
  const columns = new Map<number, Array<{ top: number, bottom: number }>>()
  for (const r of rects) columns.set(r.left, [...(columns.get(r.left) ?? []), r])
  expect(columns.size >= 2, `cards in at least two columns at 1400 px, got ${columns.size}`).toBeTruthy()
  for (const cards of columns.values()) {
    cards.sort((a, b) => a.top - b.top)
    for (let i = 1; i < cards.length; i++) {
      const gap = (cards[i]?.top ?? 0) - (cards[i - 1]?.bottom ?? 0)
      expect(gap >= 0 && gap <= 20, `gap of ${gap.toFixed(0)} px between stacked cards`).toBeTruthy()
    }
  }
})

test('the demo firehose in the viewer: the sample images with their boxes, Nike on top of trending (docs screenshots)', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(context !== null, 'chromium did not start')
  const now = new Date('2026-11-20T12:00:00.000Z')
  const demo = await startEmbeddedHarness({}, { docs: (base) => demoDocuments(DEMO_POSTS, base, now), mediaDir: resolve(ROOT, 'samples', 'images'), now })
  const page = await context.newPage()
  try {
    await page.goto(`${demo.server.url}/?refresh=600&range=6h`)
    // Generous waits: seven JPEGs decode on a machine that may be busy.
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 })
    await page.waitForFunction(() => {
      const doc = (globalThis as unknown as { document: DocumentLike }).document
      return [...doc.querySelectorAll('.figure img')].every((img) => img.complete === true && (img.naturalWidth ?? 0) > 0)
    }, undefined, { timeout: 60_000 })
    expect((await postIds(page)).length).toBe(28)
    expect(await page.locator('.box').count()).toBe(DEMO_POSTS.flatMap((p) => p.mentions).filter((m) => m.box !== undefined).length)
    const trending = await page.$$eval('#trending-list li', (nodes) => nodes.map((n) => (n as unknown as WithDataset).dataset.entity ?? ''))
    expect(trending[0]).toBe('nike')
    mkdirSync(screenshots, { recursive: true })
    await page.screenshot({ path: join(screenshots, 'viewer.png'), fullPage: false })
    await page.click('#trending-list li[data-entity="nike"] button')
    await page.waitForSelector('#entity-card:not([hidden]) dd[data-fact="mentions"]', { timeout: 60_000 })
    expect(await page.textContent('#entity-card .title')).toBe('Nike, Inc.')
    await page.click('#watch-toggle')
    await page.waitForSelector('#watch-list li[data-entity="nike"] .badge.spike', { timeout: 60_000 })
    await page.screenshot({ path: join(screenshots, 'viewer-entity.png'), fullPage: false })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: join(screenshots, 'viewer-phone.png'), fullPage: false })
  } finally {
    await page.evaluate(() => { (globalThis as unknown as { localStorage: { clear (): void } }).localStorage.clear() })
    await page.close()
    await demo.close()
  }
})

test('entity card shows the linker\'s description and mention kind when documents carry them', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(context !== null, 'chromium did not start')
  const { fixtureDocuments, T0 } = await import('./fixtures.js')
  // Optional fields another part of the pipeline adds to entity documents.
  const docs = (base: string): ReturnType<typeof fixtureDocuments> => fixtureDocuments(base).map((doc) => (doc.entity.normalised === 'acme'
    ? { ...doc, entity: { ...doc.entity, canonical_description: 'Maker of everything, in the cartoons', mention_kind: 'hashtag' as const } }
    : doc))
  const linked = await startEmbeddedHarness({}, { docs, mediaDir: tmpdir(), now: T0 })
  const page = await context.newPage()
  try {
    await page.goto(`${linked.server.url}/?at=2026-01-10T12:00:00Z&refresh=600&entity=acme`)
    await page.waitForSelector('#entity-card:not([hidden]) dd[data-fact="mentions"]')
    expect(await page.textContent('#entity-card .description')).toBe('Maker of everything, in the cartoons')
    expect(await page.textContent('#entity-card dd[data-fact="mention kind"]')).toBe('hashtag')
    expect(await page.textContent('#entity-card') ?? '', 'no stray text in the card').not.toMatch(/null|undefined/)
  } finally {
    await page.close()
    await linked.close()
  }
})

test('brands: a product mention shows its brand, a clicked brand filters the list with its products, the URL keeps it', async (t) => {
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (requireTool(t, executable) === null) return
  assert.ok(context !== null, 'chromium did not start')
  const { brandDocuments, T0 } = await import('./fixtures.js')
  // One brand name with markup: it must show as text, never as HTML.
  const docs = (base: string): ReturnType<typeof brandDocuments> => brandDocuments(base).map((doc) => (doc.post_id === 'b07' && doc.entity.text === 'marathon'
    ? { ...doc, entity: { ...doc.entity, canonical_id: 'gs:bib', canonical_title: 'Bib', brand: '<img src=x>Acme & Co' } }
    : doc))
  const branded = await startEmbeddedHarness({}, { docs, mediaDir: tmpdir(), now: T0 })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  try {
    await page.goto(`${branded.server.url}/?at=2026-01-10T12:00:00Z&refresh=600`)
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 })
    const b01 = page.locator('article[data-post-id="b01"] .branded')
    expect(await b01.locator('button.brand').textContent()).toBe('Apple ·')
    expect(await b01.locator('.chip').getAttribute('data-entity')).toBe('iphone 15')
    expect(await page.getAttribute('article[data-post-id="b01"] mark.mention', 'title') ?? '').toMatch(/iPhone .*\(gs:iphone\) · brand: Apple$/u)
    expect(await page.locator('article[data-post-id="b02"] .chip[data-entity="apple"]').locator('xpath=..').getAttribute('class'), 'the brand itself gets no brand prefix').toBe('entities')
    expect(await page.locator('article[data-post-id="b07"] .branded:has(.chip[data-entity="marathon"]) button.brand').textContent()).toBe('<img src=x>Acme & Co ·')
    expect(await page.locator('article[data-post-id="b07"] img').count(), 'a brand name is text, not markup').toBe(0)

    await page.click('article[data-post-id="b04"] button.brand[data-brand="Nike"]')
    await settle(page, ['b04', 'b05', 'b07'])
    expect(await page.inputValue('#brand')).toBe('Nike')
    expect(page.url()).toMatch(/brand=Nike/)
    expect(await page.textContent('#timeline-total') ?? '', 'the timeline counts the brand and its products').toMatch(/^5 mentions/)

    await page.click('#clear')
    await settle(page, ['b01', 'b02', 'b03', 'b04', 'b05', 'b06', 'b07'])
    await page.fill('#entity', 'iphone 15')
    await page.waitForSelector('#entity-card:not([hidden]) dd[data-fact="brand"]')
    expect(await page.textContent('#entity-card dd[data-fact="brand"]')).toBe('Apple')
    await page.click('#entity-card dd[data-fact="brand"] button.brand')
    await page.fill('#entity', '')
    await settle(page, ['b01', 'b02', 'b03', 'b06'])

    // A shared URL opens filtered by the brand.
    const shared = await context.newPage()
    try {
      // AirPods has fewer mentions than trending's default minimum: the shared URL lowers it.
      await shared.goto(`${branded.server.url}/?at=2026-01-10T12:00:00Z&refresh=600&brand=apple&min_count=1`)
      await shared.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 })
      expect(await postIds(shared)).toStrictEqual(['b01', 'b02', 'b03', 'b06'])
      expect(await shared.inputValue('#brand')).toBe('apple')
      const trending = await shared.$$eval('#trending-list li button', (nodes) => nodes.map((n) => n.textContent ?? ''))
      expect(trending.includes('Apple · AirPods'), trending.join(' | ')).toBeTruthy()
      mkdirSync(screenshots, { recursive: true })
      await shared.screenshot({ path: join(screenshots, 'viewer-brand.png'), fullPage: false })
    } finally {
      await shared.close()
    }
    expect(problems, 'no script errors in the page').toStrictEqual([])
  } finally {
    await page.close()
    await branded.close()
  }
})
