// Image-path throughput, bounded so it finishes in about a minute on 2 cores:
//   - fetch + decode from a loopback server, by concurrency
//   - detector by batch size; OCR per image, before and after reading only the lines that
//     can be selected, each at its own width (alternating in one process, detector/recogniser split)
//   - embedder by batch size (phrases per run)
//   - the whole image stage, by worker count and worker batch, and its cost per post beside
//     the text path (reports/bench-text-models.json, when present)
//
//   npm run build && node dist/bench/images.js [--images 24] [--out reports/bench-images.json] [--baseline OTHER/dist]
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { NO_IMAGE, type Candidate } from '../src/contracts/index.js'
import type { PostWork } from '../src/pipeline/types.js'
import { createImageEngine, createImageFetcher, createImageStage, decodeImage } from '../src/images/index.js'
import { textSlots } from '../src/images/analyse.js'
import type { TextReadingStats } from '../src/images/engine.js'
import { INSTALL_ROOT } from '../src/service/install.js'
import { fixture, renderScreenshot, renderSignScene, renderText, rgbOf, serveBytes, startServer, testConfig } from './support/images.js'

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '24' },
    // dist/ of a build of an earlier commit: its OCR is timed beside this one's (docs/images.md "Throughput").
    baseline: { type: 'string' },
    out: { type: 'string', default: 'reports/bench-images.json' }
  }
})
const N = Math.max(4, Number(values.images))
const SAMPLES = path.join(INSTALL_ROOT, 'samples', 'images')

interface Row { what: string, setting: string, perSecond: number, msPerItem: number }
const rows: Row[] = []

async function timed (what: string, setting: string, items: number, fn: () => Promise<void>): Promise<void> {
  const started = performance.now()
  await fn()
  const ms = performance.now() - started
  const row = { what, setting, perSecond: (items * 1000) / ms, msPerItem: ms / items }
  rows.push(row)
  console.log(`${what.padEnd(22)} ${setting.padEnd(16)} ${row.perSecond.toFixed(1).padStart(8)} /s ${row.msPerItem.toFixed(1).padStart(8)} ms/item`)
}

async function pool<T> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }))
}

function work (i: number, url: string): PostWork {
  const text = `Coffee with Obama at Starbucks ${i}`
  const candidates: Candidate[] = ['Obama', 'Starbucks'].map((t) => ({ postId: `b${i}`, text: t, start: text.indexOf(t), end: text.indexOf(t) + t.length, wordStart: 0, wordEnd: 1, score: 0.9 }))
  return { post: { id: `b${i}`, text, created_at: '2026-11-21T08:00:00Z', image_urls: [url] }, source: { topic: 'bench', partition: 0, offset: String(i) }, candidates: candidates.map((candidate) => ({ candidate, knowledge: null })), image: NO_IMAGE, entities: [], timings: {} }
}

const server = await startServer()
const photos = await Promise.all(['dog.jpg', 'person.jpg', 'horses.jpg'].map(fixture))
const scene = (await renderSignScene('STARBUCKS')).bytes
const words = await renderText(['Hello groundstream', 'OPEN 24 HOURS'])
const corpus = [...photos, scene]
corpus.forEach((bytes, i) => { server.route(`/img${i}.jpg`, serveBytes(bytes, 'image/jpeg')) })
const urls = Array.from({ length: N }, (_, i) => server.url(`/img${i % corpus.length}.jpg`))
const config = testConfig()

for (const concurrency of [1, 4]) {
  const fetcher = createImageFetcher(config.fetch)
  await timed('fetch+decode', `concurrency ${concurrency}`, N, async () => {
    await pool(urls, concurrency, async (url) => {
      const got = await fetcher.fetch(url)
      if (!got.ok) throw new Error(got.reason)
      const decoded = await decodeImage(got.image.bytes, config.decode)
      if (!decoded.ok) throw new Error(decoded.reason)
    })
  })
  await fetcher.close()
}

const engine = await createImageEngine({ detector: config.detector, ocr: config.ocr, embedder: config.embedder, intraOpThreads: 1 })
const rgb = await Promise.all(corpus.map(rgbOf))
const wordsRgb = await rgbOf(words)
await engine.detectObjects(rgb[0]!) // warm-up
for (const batch of [1, 4, 8]) {
  await timed('detector', `batch ${batch}, 1 thread`, Math.ceil(N / batch) * batch, async () => {
    for (let i = 0; i < N; i += batch) await engine.detectObjectsBatch(Array.from({ length: batch }, (_, j) => rgb[(i + j) % rgb.length]!))
  })
}
// OCR before and after "OCR only where it can matter", alternating in this process:
// before = every detected line read, all padded to the widest in one batch (lineWidth: widest);
// after = only lines that can be selected (textSlots of the image's objects), each at its own width.
const before = await createImageEngine({ detector: config.detector, ocr: { ...config.ocr, lineWidth: 'widest' }, embedder: { ...config.embedder, enabled: false }, intraOpThreads: 1 })
const baseline = values.baseline === undefined
  ? null
  : await ((await import(pathToFileURL(path.resolve(values.baseline, 'src', 'images', 'index.js')).href)) as { createImageEngine: typeof createImageEngine })
    .createImageEngine({ detector: config.detector, ocr: config.ocr, embedder: { ...config.embedder, enabled: false }, intraOpThreads: 1 })
const screenshotRgb = await rgbOf(await renderScreenshot())
const samples = await Promise.all((await readdir(SAMPLES)).filter((f) => f.endsWith('.jpg')).sort().map(async (f) => await rgbOf(await readFile(path.join(SAMPLES, f)))))
// Images per variant and round (the screenshot takes seconds per read).
const ocrCorpora: Array<{ name: string, count: number, images: Array<{ data: Uint8Array, width: number, height: number }> }> = [
  { name: 'photos+signs', count: N, images: rgb },
  { name: 'samples/images', count: samples.length, images: samples },
  { name: '2 text lines', count: Math.ceil(N / 4), images: [wordsRgb] },
  { name: 'screenshot 23 lines', count: 2, images: [screenshotRgb] }
]
const ocrRows: Array<Record<string, string | number | null>> = []
for (const corpus of ocrCorpora) {
  const slots = await Promise.all(corpus.images.map(async (image) => textSlots((await engine.detectObjects(image)).length, config.topK)))
  const count = corpus.count
  const variants = [
    ...(baseline === null ? [] : [{ name: 'baseline', engine: baseline, limit: (_i: number): number | undefined => undefined }]),
    { name: 'before', engine: before, limit: (_i: number): number | undefined => undefined },
    { name: 'after', engine, limit: (i: number): number | undefined => slots[i % slots.length] }
  ]
  const totals = new Map(variants.map((v) => [v.name, { ms: 0, detectMs: 0, recogniseMs: 0, linesDetected: 0, linesRecognised: 0, images: 0 }]))
  for (let round = 0; round < 2; round++) {
    for (const v of variants) {
      // A baseline build from before textStats() counts nothing.
      const stats = (): TextReadingStats => typeof v.engine.textStats === 'function' ? v.engine.textStats() : { images: 0, linesDetected: 0, linesRecognised: 0, detectMs: 0, recogniseMs: 0 }
      const at = stats()
      const started = performance.now()
      for (let i = 0; i < count; i++) await v.engine.readText(corpus.images[i % corpus.images.length]!, v.limit(i % corpus.images.length))
      const now = stats()
      const t = totals.get(v.name)!
      t.ms += performance.now() - started
      t.detectMs += now.detectMs - at.detectMs
      t.recogniseMs += now.recogniseMs - at.recogniseMs
      t.linesDetected += now.linesDetected - at.linesDetected
      t.linesRecognised += now.linesRecognised - at.linesRecognised
      t.images += count
    }
  }
  for (const v of variants) {
    const t = totals.get(v.name)!
    const counted = t.detectMs > 0
    const per = (v: number): number | null => counted ? v / t.images : null
    const row = { corpus: corpus.name, variant: v.name, msPerImage: t.ms / t.images, detectMsPerImage: per(t.detectMs), recogniseMsPerImage: per(t.recogniseMs), linesDetectedPerImage: per(t.linesDetected), linesRecognisedPerImage: per(t.linesRecognised) }
    ocrRows.push(row)
    rows.push({ what: `ocr ${v.name} (${corpus.name})`, setting: '1 thread', perSecond: 1000 / row.msPerImage, msPerItem: row.msPerImage })
    const split = counted ? `: detector ${(t.detectMs / t.images).toFixed(1)}, recogniser ${(t.recogniseMs / t.images).toFixed(1)}; lines ${(t.linesDetected / t.images).toFixed(2)} found, ${(t.linesRecognised / t.images).toFixed(2)} read` : ''
    console.log(`${`ocr ${v.name}`.padEnd(12)} ${corpus.name.padEnd(20)} ${row.msPerImage.toFixed(1).padStart(7)} ms/image${split}`)
  }
}
await before.dispose()
await baseline?.dispose()
for (const batch of [1, 8, 32]) {
  const phrases = Array.from({ length: batch }, (_, i) => `phrase number ${i} about a person`)
  const runs = Math.max(2, Math.floor(64 / batch))
  await timed('embedder', `batch ${batch}`, runs * batch, async () => {
    for (let r = 0; r < runs; r++) await engine.embed(phrases)
  })
}
await engine.dispose()

const stageRows: Array<{ workers: number, workerBatch: number, msPerPost: number }> = []
for (const [workers, workerBatch] of [[1, 1], [1, 4], [2, 1], [2, 4]] as const) {
  const stage = createImageStage(testConfig({ workers, workerBatch }), {})
  await stage.init()
  const items = urls.map((u, i) => work(i, u))
  const started = performance.now()
  for (let i = 0; i < items.length; i += 8) await stage.run(items.slice(i, i + 8))
  const ms = (performance.now() - started) / items.length
  stageRows.push({ workers, workerBatch, msPerPost: ms })
  const setting = `workers ${workers}, batch ${workerBatch}`
  rows.push({ what: 'image stage', setting, perSecond: 1000 / ms, msPerItem: ms })
  console.log(`${'image stage'.padEnd(22)} ${setting.padEnd(16)} ${(1000 / ms).toFixed(1).padStart(8)} /s ${ms.toFixed(1).padStart(8)} ms/item`)
  await stage.close()
}
await server.close()

let textPath: { msPerPost: number, source: string } | null = null
const textReport = path.join('reports', 'bench-text-models.json')
if (existsSync(textReport)) {
  const report = JSON.parse(await readFile(textReport, 'utf8')) as { rows?: Array<{ path: string, batch: number, stage1: number, stage2: number }> }
  const best = report.rows?.find((r) => r.path.includes('int8') && r.batch === 8)
  // Two candidates per post, as in the image-stage bench above.
  if (best) textPath = { msPerPost: 1000 / best.stage1 + 2 * (1000 / best.stage2), source: `${textReport} (int8, batch 8; stage 2 counted twice per post)` }
}
const imageMs = Math.min(...stageRows.map((r) => r.msPerPost))
const result = {
  machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model ?? ''}`,
  images: N,
  rows,
  ocr: ocrRows,
  textPath,
  imageVsText: textPath ? imageMs / textPath.msPerPost : null
}
if (textPath) console.log(`image path ${imageMs.toFixed(1)} ms/post vs text path ${textPath.msPerPost.toFixed(1)} ms/post: x${(imageMs / textPath.msPerPost).toFixed(1)}`)
await mkdir(path.dirname(values.out), { recursive: true })
await writeFile(values.out, JSON.stringify(result, null, 2) + '\n')
