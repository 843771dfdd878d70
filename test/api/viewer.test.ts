// The viewer page in headless Chromium (Debian's chromium driven by
// playwright-core), served by the real API server over the fixture index in
// the real Elasticsearch, with project-made images from the same server:
// it loads, draws a labelled box where the index has one (at the right place
// on the image), and its filters and trending panel work.
// GS_SCREENSHOT_DIR=docs/screenshots keeps the screenshots for the docs.
import { after, before, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { ROOT, requireTool } from '../deploy/helpers.js'
import { elasticsearchUrl } from './fixtures.js'
import { requireElasticsearch, startHarness, type Harness } from './harness.js'

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

let harness: Harness | null = null
let context: BrowserContext | null = null
let profile: string | null = null
const screenshots = process.env.GS_SCREENSHOT_DIR === undefined ? mkdtempSync(join(tmpdir(), 'gs-shots-')) : resolve(ROOT, process.env.GS_SCREENSHOT_DIR)

before(async () => {
  const url = elasticsearchUrl()
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  if (url === null) return
  // A missing browser is reported by each test (skip locally, fail under CI).
  if (!existsSync(executable)) return
  harness = await startHarness(url)
  profile = mkdtempSync(join(tmpdir(), 'gs-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    timeout: 60_000
  })
})

after(async () => {
  await context?.close()
  await harness?.close()
  if (profile !== null) rmSync(profile, { recursive: true, force: true })
  if (process.env.GS_SCREENSHOT_DIR === undefined) rmSync(screenshots, { recursive: true, force: true })
})

async function openViewer (t: TestContext, query = ''): Promise<Page | null> {
  if (requireElasticsearch(t) === null) return null
  const executable = process.env.GS_CHROMIUM ?? '/usr/bin/chromium'
  // `command -v` takes the absolute path too: missing skips locally, fails under CI.
  if (requireTool(t, executable) === null) return null
  assert.ok(harness !== null && context !== null, 'the server or chromium did not start')
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()) })
  t.after(async () => {
    await page.close()
    assert.deepEqual(problems, [], 'no script errors in the page')
  })
  await page.goto(`${harness.server.url}/?at=2026-01-10T12:00:00Z&refresh=600${query}`)
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
  assert.deepEqual(await postIds(page), expected)
}

test('the viewer loads the live list, newest first, with entities marked in the text', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  assert.deepEqual(await postIds(page), ['p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', 'p08', 'p09', 'p10', 'p11'])
  const marks = await page.$$eval('article[data-post-id="p05"] mark.mention', (nodes) => nodes.map((n) => `${n.textContent ?? ''}|${n.className}`))
  assert.deepEqual(marks, ['Acme|mention ORG', 'Paris|mention LOC', 'Lyon|mention LOC'])
  const tooltips = await page.$$eval('article[data-post-id="p05"] mark.mention', (nodes) => nodes.map((n) => n.getAttribute('title') ?? ''))
  assert.match(tooltips[1] ?? '', /Paris — Capital city of France \(Q90\)/u, 'the tooltip says what the mention is linked to')
  assert.doesNotMatch(tooltips[2] ?? '', /—/u, 'an unlinked mention has no link line')
  assert.equal(await page.title(), 'groundstream · entity viewer')
})

test('boxes are drawn and labelled where the index has them, at the box position on the image', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: DocumentLike }).document
    return [...doc.querySelectorAll('.figure img')].every((img) => img.complete === true && (img.naturalWidth ?? 0) > 0)
  }, undefined, { timeout: 10_000 })
  const boxes = await page.$$eval('.box', (nodes) => nodes.map((n) => n.querySelector('.label')?.textContent ?? ''))
  assert.deepEqual(boxes.sort(), ['Acme · ORG', 'Acme · ORG', 'Alice Smith · PER', 'Eiffel Tower · LOC'])
  // Posts with no box have no figure boxes; p02 has two.
  assert.equal(await page.locator('article[data-post-id="p03"] .box').count(), 0)
  assert.equal(await page.locator('article[data-post-id="p02"] .box').count(), 2)
  // The Alice Smith box {x .55, y .15, w .3, h .7} lies on the image where the index says.
  const geometry = await page.$eval('article[data-post-id="p02"] .box[data-entity="alice smith"]', (box) => {
    const img = box.parentElement?.querySelector('img') as typeof box
    const b = box.getBoundingClientRect()
    const i = img.getBoundingClientRect()
    return { x: (b.left - i.left) / i.width, y: (b.top - i.top) / i.height, w: b.width / i.width, h: b.height / i.height }
  })
  for (const [key, want] of Object.entries({ x: 0.55, y: 0.15, w: 0.3, h: 0.7 })) {
    assert.ok(Math.abs(geometry[key as keyof typeof geometry] - want) < 0.01, `${key}: ${geometry[key as keyof typeof geometry]} vs ${want}`)
  }
  mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: join(screenshots, 'viewer.png'), fullPage: false })
  await page.locator('article[data-post-id="p02"]').screenshot({ path: join(screenshots, 'viewer-boxes.png') })
})

test('filters by type, entity and has-box narrow the list; trending panel lists rising entities', async (t) => {
  const page = await openViewer(t)
  if (page === null) return
  const trending = await page.$$eval('#trending-list li', (nodes) => nodes.map((n) => (n as unknown as WithDataset).dataset.entity ?? ''))
  assert.deepEqual(trending.slice(0, 2), ['acme', 'alice smith'])

  for (const type of ['LOC', 'ORG', 'OTHER']) await page.uncheck(`#types input[value="${type}"]`)
  await settle(page, ['p02', 'p04'])
  assert.match(page.url(), /type=PER/)
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
  assert.equal(await page.textContent('#posts .empty'), 'No posts match these filters.')
  await page.click('#clear')

  await page.check('#has-box')
  await settle(page, ['p01', 'p02', 'p07'])
  await page.uncheck('#has-box')

  // Clicking a trending entity filters by it.
  await page.click('#trending-list li[data-entity="alice smith"] button')
  await settle(page, ['p02', 'p04'])
  assert.equal(await page.inputValue('#entity'), 'alice smith')
  mkdirSync(screenshots, { recursive: true })
  await page.screenshot({ path: join(screenshots, 'viewer-filtered.png'), fullPage: false })
})

test('a page opened with filters in its URL starts filtered', async (t) => {
  const page = await openViewer(t, '&type=LOC&has_box=true')
  if (page === null) return
  assert.deepEqual(await postIds(page), ['p07'])
  assert.equal(await page.isChecked('#types input[value="PER"]'), false)
  assert.equal(await page.isChecked('#has-box'), true)
})
