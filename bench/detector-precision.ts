// The int8 CenterNet against the fp32 one, both through the engine itself (the
// same letterbox preprocessing, decoding, min score and NMS as serving):
//   - agreement on every image at hand: detections matched (same class, IoU >= 0.5)
//     over fp32's and over int8's, mean IoU and largest score gap of the matches,
//     and whether each image's top detection agrees
//   - speed: ms per image at batch 1 and 4, 1 and 2 threads, fp32 and int8
//     interleaved in this one process, median of the repeats
//   - file sizes
// It also writes the calibration inputs training/quantize_detector.py reads
// (--dump), preprocessed by the engine's own code so calibration sees exactly
// what the model sees when serving.
//
//   npm run build && node dist/bench/detector-precision.js [--repeats 5] [--out reports/detector-precision.json]
//   node dist/bench/detector-precision.js --dump /tmp/detector-calibration   # inputs for quantize_detector.py
//
// Images: the fixture photos (test/fixtures/images, darknet's samples, MIT),
// the project's rendered sample images (samples/images) and variants of the
// fixtures made here (mirrored, cropped, darkened). Calibration uses the
// samples and variants only, so the fixtures' figures are on images the
// calibration never saw. Twitter-GMNER's images are used when a folder of them
// is given (--extra DIR); none are in the repository.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { createImageEngine, type ImageEngine } from '../src/images/index.js'
import { iou } from '../src/images/boxes.js'
import { resizeBilinearRgb } from '../src/images/raster.js'
import type { ImageRegion } from '../src/contracts/index.js'
import { FIXTURES, rgbOf, testConfig } from './support/images.js'
import { INSTALL_ROOT as ROOT } from '../src/service/install.js'

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    out: { type: 'string', default: 'reports/detector-precision.json' },
    dump: { type: 'string' },
    extra: { type: 'string' },
    'model-dir': { type: 'string', default: path.join(ROOT, 'models', 'detector') }
  }
})

type Rgb = Awaited<ReturnType<typeof rgbOf>>
interface Named { name: string, group: string, image: Rgb }

const jpgs = (dir: string): string[] => existsSync(dir) ? readdirSync(dir).filter((n) => /\.(jpe?g|png)$/iu.test(n)).sort() : []

async function loadImages (): Promise<Named[]> {
  const out: Named[] = []
  for (const n of jpgs(FIXTURES)) {
    const bytes = await readFile(path.join(FIXTURES, n))
    out.push({ name: n, group: 'fixtures', image: await rgbOf(bytes) })
    // Variants: the same scenes, other pixels (calibration material of our own making).
    const meta = await sharp(bytes).metadata()
    const w = meta.width ?? 1; const h = meta.height ?? 1
    out.push({ name: `${n}#mirror`, group: 'variants', image: await rgbOf(await sharp(bytes).flop().toBuffer()) })
    out.push({ name: `${n}#crop`, group: 'variants', image: await rgbOf(await sharp(bytes).extract({ left: Math.round(w * 0.1), top: Math.round(h * 0.1), width: Math.round(w * 0.75), height: Math.round(h * 0.75) }).toBuffer()) })
    out.push({ name: `${n}#dark`, group: 'variants', image: await rgbOf(await sharp(bytes).linear(0.6, 0).toBuffer()) })
  }
  const samples = path.join(ROOT, 'samples', 'images')
  for (const n of jpgs(samples)) out.push({ name: n, group: 'samples', image: await rgbOf(await readFile(path.join(samples, n))) })
  if (values.extra !== undefined) {
    for (const n of jpgs(values.extra)) {
      try {
        out.push({ name: n, group: 'extra', image: await rgbOf(await readFile(path.join(values.extra, n))) })
      } catch { /* unreadable image: skipped */ }
    }
  }
  return out
}

async function dump (images: Named[], dir: string): Promise<void> {
  const size = 512
  // Calibration: exactly the engine's input, letterbox (the default resize), bilinear, 0..255 float NHWC.
  // Then the fixtures stretched (named fixture:NAME), for the int8 reference detections, as the test runs them.
  const chosen = [
    ...images.filter((i) => i.group === 'samples' || i.group === 'variants').map((i) => ({ name: i.name, image: i.image, letterbox: true })),
    ...images.filter((i) => i.group === 'fixtures').map((i) => ({ name: `fixture:${i.name}`, image: i.image, letterbox: false }))
  ]
  const plane = size * size * 3
  const all = new Float32Array(chosen.length * plane)
  chosen.forEach((c, i) => { all.set(resizeBilinearRgb(c.image, size, size, c.letterbox), i * plane) })
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'inputs.f32'), Buffer.from(all.buffer))
  await writeFile(path.join(dir, 'inputs.json'), JSON.stringify({ shape: [chosen.length, size, size, 3], dtype: 'float32', layout: 'NHWC', resize: 'letterbox, fixture:* stretch', names: chosen.map((c) => c.name) }, null, 2) + '\n')
  console.log(`wrote ${chosen.length} inputs (calibration and fixture:*) to ${dir}`)
}

export interface Agreement { fp32: number, int8: number, matched: number, iouSum: number, maxScoreDiff: number, top1: boolean }

/** Greedy matching, best fp32 detections first: same class, IoU >= 0.5, each int8 detection used once. */
export function agree (ref: readonly ImageRegion[], got: readonly ImageRegion[]): Agreement {
  const used = new Set<number>()
  let matched = 0; let iouSum = 0; let maxScoreDiff = 0
  for (const r of [...ref].sort((a, b) => b.score - a.score)) {
    let best = -1; let bestIou = 0.5
    got.forEach((g, j) => {
      if (used.has(j) || g.label !== r.label) return
      const v = iou(r.box, g.box)
      if (v >= bestIou) { best = j; bestIou = v }
    })
    if (best < 0) continue
    used.add(best)
    matched++
    iouSum += bestIou
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(r.score - (got[best] as ImageRegion).score))
  }
  const top = (rs: readonly ImageRegion[]): ImageRegion | undefined => [...rs].sort((a, b) => b.score - a.score)[0]
  const a = top(ref); const b = top(got)
  const top1 = a === undefined ? b === undefined : b !== undefined && a.label === b.label && iou(a.box, b.box) >= 0.5
  return { fp32: ref.length, int8: got.length, matched, iouSum, maxScoreDiff, top1 }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] as number : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}

async function engineFor (precision: 'int8' | 'fp32', threads: number): Promise<ImageEngine> {
  const config = testConfig({ detector: { modelDir: values['model-dir'], precision } })
  return await createImageEngine({ detector: config.detector, ocr: { ...config.ocr, enabled: false }, embedder: { ...config.embedder, enabled: false }, intraOpThreads: threads, executionProvider: 'cpu' })
}

async function main (): Promise<void> {
  const images = await loadImages()
  if (values.dump !== undefined) {
    await dump(images, values.dump)
    return
  }
  // --repeats 0: agreement only.
  const repeats = Number(values.repeats) === 0 ? 0 : Math.max(3, Number(values.repeats))
  const engines = {
    fp32: { 1: await engineFor('fp32', 1), 2: await engineFor('fp32', 2) },
    int8: { 1: await engineFor('int8', 1), 2: await engineFor('int8', 2) }
  }

  // Agreement, per group and in all.
  console.log(`agreement (min score 0.3, NMS IoU 0.5, letterbox; match = same class and IoU >= 0.5) on ${images.length} images`)
  const perImage: Array<{ name: string, group: string } & Agreement & { top: [string | null, string | null] }> = []
  for (const im of images) {
    const [ref] = await engines.fp32[1].detectObjectsBatch([im.image])
    const [got] = await engines.int8[1].detectObjectsBatch([im.image])
    const a = agree(ref as ImageRegion[], got as ImageRegion[])
    perImage.push({ name: im.name, group: im.group, ...a, top: [ref?.[0]?.label ?? null, got?.[0]?.label ?? null] })
  }
  const groups = [...new Set(perImage.map((p) => p.group)), 'all']
  const summary: Record<string, unknown> = {}
  for (const g of groups) {
    const rows = perImage.filter((p) => g === 'all' || p.group === g)
    const fp32 = rows.reduce((s, r) => s + r.fp32, 0)
    const int8 = rows.reduce((s, r) => s + r.int8, 0)
    const matched = rows.reduce((s, r) => s + r.matched, 0)
    const s = {
      images: rows.length,
      fp32Detections: fp32,
      int8Detections: int8,
      matched,
      matchedOverFp32: fp32 > 0 ? matched / fp32 : 1,
      matchedOverInt8: int8 > 0 ? matched / int8 : 1,
      meanIou: matched > 0 ? rows.reduce((s2, r) => s2 + r.iouSum, 0) / matched : null,
      maxScoreDiff: Math.max(0, ...rows.map((r) => r.maxScoreDiff)),
      top1Agree: rows.filter((r) => r.top1).length
    }
    summary[g] = s
    console.log(`  ${g.padEnd(9)} images ${String(s.images).padStart(3)}  fp32 ${String(fp32).padStart(4)}  int8 ${String(int8).padStart(4)}  matched ${String(matched).padStart(4)}  ` +
      `matched/fp32 ${s.matchedOverFp32.toFixed(3)}  matched/int8 ${s.matchedOverInt8.toFixed(3)}  mean IoU ${s.meanIou?.toFixed(3) ?? '-'}  max |score diff| ${s.maxScoreDiff.toFixed(3)}  top-1 ${s.top1Agree}/${s.images}`)
  }
  for (const p of perImage) {
    console.log(`    ${p.name.padEnd(28)} fp32 ${String(p.fp32).padStart(3)} int8 ${String(p.int8).padStart(3)} matched ${String(p.matched).padStart(3)}  top ${String(p.top[0])} / ${String(p.top[1])}${p.top1 ? '' : '  (top-1 differs)'}`)
  }

  if (repeats === 0) {
    for (const byThreads of Object.values(engines)) for (const e of Object.values(byThreads)) await e.dispose()
    return
  }
  // Speed: the same four fixture-or-sample images for every setting, precisions alternating.
  const speedImages = images.filter((i) => i.group !== 'variants').slice(0, 4).map((i) => i.image)
  const times: Record<string, number[]> = {}
  for (let rep = 0; rep < repeats; rep++) {
    for (const threads of [1, 2] as const) {
      for (const batch of [1, 4]) {
        const order = rep % 2 === 0 ? (['fp32', 'int8'] as const) : (['int8', 'fp32'] as const)
        for (const precision of order) {
          const engine = engines[precision][threads]
          const started = performance.now()
          if (batch === 1) {
            for (const im of speedImages) await engine.detectObjectsBatch([im])
          } else {
            await engine.detectObjectsBatch(speedImages)
          }
          const key = `${precision} threads ${threads} batch ${batch}`
          ;(times[key] ??= []).push((performance.now() - started) / speedImages.length)
        }
      }
    }
  }
  console.log(`speed: ms per image (engine detect: preprocess + model + decode), median of ${repeats} interleaved repeats over ${speedImages.length} images`)
  const speed: Record<string, unknown> = {}
  for (const threads of [1, 2]) {
    for (const batch of [1, 4]) {
      const f = median(times[`fp32 threads ${threads} batch ${batch}`] as number[])
      const q = median(times[`int8 threads ${threads} batch ${batch}`] as number[])
      speed[`threads${threads}_batch${batch}`] = { fp32Ms: f, int8Ms: q, int8OverFp32: q / f }
      console.log(`  threads ${threads} batch ${batch}: fp32 ${f.toFixed(1)} ms  int8 ${q.toFixed(1)} ms  int8/fp32 ${(q / f).toFixed(2)}`)
    }
  }
  const manifest = JSON.parse(await readFile(path.join(values['model-dir'], 'manifest.json'), 'utf8')) as { files?: Record<string, string> }
  const sizes: Record<string, number> = {}
  for (const [k, f] of Object.entries(manifest.files ?? {})) {
    const file = path.join(values['model-dir'], f)
    if (existsSync(file)) sizes[k] = statSync(file).size
  }
  console.log(`file sizes: ${Object.entries(sizes).map(([k, v]) => `${k} ${(v / 1e6).toFixed(2)} MB`).join(', ')}`)
  for (const byThreads of Object.values(engines)) for (const e of Object.values(byThreads)) await e.dispose()
  await mkdir(path.dirname(values.out), { recursive: true })
  await writeFile(values.out, JSON.stringify({ summary, perImage, speed, sizes, repeats }, null, 2) + '\n')
  console.log(`wrote ${values.out}`)
}

await main()
