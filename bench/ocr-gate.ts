// Would a cheaper text detector pass see the text the full one reads? A 960 px
// photo with no text of its own gets a small white watermark or a dark caption
// on white at 8..32 px; OCR at full size (detMaxSide 960) is compared with the
// text detector at smaller longest sides (a low-resolution gate, or a smaller
// detMaxSide). docs/images.md "OCR only where it can matter".
//
//   npm run build && node dist/bench/ocr-gate.js [--sides 256,320,384,480,640]
import path from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { createImageEngine, type ImageEngine } from '../src/images/index.js'
import { FIXTURES, rgbOf, testConfig } from './support/images.js'

const { values } = parseArgs({ options: { sides: { type: 'string', default: '256,320,384,480,640' } } })
const sides = values.sides.split(',').map(Number)
const config = testConfig()
const open = async (detMaxSide: number): Promise<ImageEngine> => await createImageEngine({ detector: config.detector, ocr: { ...config.ocr, detMaxSide }, embedder: { ...config.embedder, enabled: false }, intraOpThreads: 1 })
const full = await open(960)
const small = await Promise.all(sides.map(open))

/** One engine after another, so their timings do not overlap. */
async function sequential<T> (engines: readonly ImageEngine[], fn: (engine: ImageEngine) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (const engine of engines) out.push(await fn(engine))
  return out
}

/** Lines the text detector finds (from textStats; limit 1, so the recogniser reads as few as it can). */
async function linesFound (engine: ImageEngine, image: { data: Uint8Array, width: number, height: number }): Promise<number> {
  const before = engine.textStats().linesDetected
  await engine.readText(image, 1)
  return engine.textStats().linesDetected - before
}

console.log(`base         text             px  full size (960) reads           ${sides.map((s) => `${s}`.padStart(5)).join(' ')}  (lines the detector finds at that side)`)
for (const base of ['person.jpg', 'dog.jpg']) {
  const photo = await sharp(path.join(FIXTURES, base)).resize({ width: 960 }).toBuffer()
  const { width, height } = await sharp(photo).metadata() as { width: number, height: number }
  const plain = await rgbOf(photo)
  // What each side would cost: the text detector's time on the photo without text (best of 3).
  const detectMs = async (engine: ImageEngine): Promise<number> => {
    let best = Infinity
    for (let r = 0; r < 3; r++) {
      const before = engine.textStats().detectMs
      await engine.readText(plain, 1)
      best = Math.min(best, engine.textStats().detectMs - before)
    }
    return best
  }
  console.log(`${base.padEnd(12)} detector ms, no text   ${(await detectMs(full)).toFixed(0).padEnd(30)} ${(await sequential(small, detectMs)).map((ms) => ms.toFixed(0).padStart(5)).join(' ')}`)
  console.log(`${base.padEnd(12)} (none)               ${(await full.readText(plain)).map((r) => r.text).join(' | ').padEnd(30)} ${(await sequential(small, async (e) => await linesFound(e, plain))).map((n) => `${n}`.padStart(5)).join(' ')}`)
  for (const [what, fill, background] of [['@watermark_user', '#ffffff', null], ['Breaking News Today', '#111111', '#ffffff']] as const) {
    for (const size of [8, 10, 12, 14, 16, 20, 24, 32]) {
      const boxWidth = Math.round(size * 0.62 * what.length) + 16
      const rect = background === null ? '' : `<rect x="20" y="${height - size * 2 - 20}" width="${boxWidth}" height="${size * 2}" fill="${background}"/>`
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rect}<text x="28" y="${height - size / 2 - 24}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="${fill}">${what}</text></svg>`
      const image = await rgbOf(await sharp(photo).composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 85 }).toBuffer())
      const read = (await full.readText(image)).map((r) => r.text).join(' | ')
      const found = await sequential(small, async (e) => await linesFound(e, image))
      console.log(`${base.padEnd(12)} ${what.padEnd(20)} ${String(size).padStart(2)}  ${read.padEnd(30)} ${found.map((n) => `${n}`.padStart(5)).join(' ')}`)
    }
  }
}
await Promise.all([full, ...small].map(async (e) => { await e.dispose() }))
