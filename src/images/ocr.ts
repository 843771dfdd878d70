// Text in images (PP-OCRv4): the DB text detector finds line boxes, the CTC
// recogniser reads them, in reading order, within a limit of lines.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ImageRegion } from '../contracts/index.js'
import { mustExist } from '../runtime/index.js'
import { clamp01 } from './boxes.js'
import type { OcrConfig } from './config.js'
import { cropResizeRgb, resizeNormalisedChw } from './raster.js'
import { openSession, run, type RgbImage, type SessionSettings } from './sessions.js'

export interface OcrModel {
  det: ort.InferenceSession
  rec: ort.InferenceSession
  dictionary: string[]
}

const OCR_FILES = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  dictionary: 'ppocr_keys_v1.txt'
}

export async function loadOcr (config: OcrConfig, threads: SessionSettings): Promise<OcrModel> {
  const dictFile = path.join(config.modelDir, OCR_FILES.dictionary)
  await mustExist(dictFile, 'OCR dictionary')
  const [det, rec, dictText] = await Promise.all([
    openSession(path.join(config.modelDir, OCR_FILES.det), 'OCR detection model', threads),
    openSession(path.join(config.modelDir, OCR_FILES.rec), 'OCR recognition model', threads),
    readFile(dictFile, 'utf8')
  ])
  // CTC classes: 0 is blank, then the dictionary, then a space (PaddleOCR's use_space_char).
  const dictionary = dictText.split(/\r?\n/).filter((line, i, all) => !(i === all.length - 1 && line === ''))
  return { det, rec, dictionary }
}

const DET_MEAN = [0.485, 0.456, 0.406] as const
const DET_STD = [0.229, 0.224, 0.225] as const

interface TextBox { x0: number, y0: number, x1: number, y1: number, score: number }

/** DB post-processing on the probability map: threshold, components, score, unclip. */
export function dbBoxes (prob: Float32Array, width: number, height: number, config: Pick<OcrConfig, 'binaryThreshold' | 'boxThreshold' | 'unclipRatio'>): TextBox[] {
  const seen = new Uint8Array(width * height)
  const boxes: TextBox[] = []
  const stack: number[] = []
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || (prob[start] as number) <= config.binaryThreshold) continue
    seen[start] = 1
    stack.push(start)
    let x0 = width; let y0 = height; let x1 = -1; let y1 = -1; let sum = 0; let count = 0
    while (stack.length > 0) {
      const p = stack.pop() as number
      const x = p % width
      const y = (p - x) / width
      sum += prob[p] as number
      count++
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx; const ny = y + dy
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue
          const q = ny * width + nx
          if (!seen[q] && (prob[q] as number) > config.binaryThreshold) {
            seen[q] = 1
            stack.push(q)
          }
        }
      }
    }
    const w = x1 - x0 + 1
    const h = y1 - y0 + 1
    if (Math.min(w, h) < 3 || count < 10) continue
    const score = sum / count
    if (score < config.boxThreshold) continue
    // PaddleOCR expands the shrunk text kernel by area * ratio / perimeter.
    const d = (w * h * config.unclipRatio) / (2 * (w + h))
    boxes.push({
      x0: Math.max(0, x0 - d),
      y0: Math.max(0, y0 - d),
      x1: Math.min(width, x1 + 1 + d),
      y1: Math.min(height, y1 + 1 + d),
      score
    })
  }
  return boxes
}

/** Greedy CTC decoding of one sequence: collapse repeats, drop blanks. */
export function ctcDecode (probs: Float32Array, steps: number, classes: number, offset: number, dictionary: readonly string[]): { text: string, score: number } {
  let text = ''
  let scoreSum = 0
  let kept = 0
  let previous = -1
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes
    let best = 0
    let bestP = probs[base] as number
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c] as number
      if (p > bestP) { bestP = p; best = c }
    }
    if (best !== 0 && best !== previous) {
      text += best - 1 < dictionary.length ? dictionary[best - 1] : ' '
      scoreSum += bestP
      kept++
    }
    previous = best
  }
  return { text: text.trim(), score: kept === 0 ? 0 : scoreSum / kept }
}

const REC_HEIGHT = 48
const REC_MAX_WIDTH = 640

/** Where OCR's time went since the engine started (the benchmark reads it; docs/images.md "Text in the image"). */
export interface TextReadingStats {
  /** Images given to the text detector. */
  images: number
  /** Lines the detector found (after `maxLines`), and how many of them the recogniser read. */
  linesDetected: number
  linesRecognised: number
  /** Milliseconds in the text detector (preprocessing, model, DB post-processing) and in the recogniser (crops, model, CTC). */
  detectMs: number
  recogniseMs: number
}

/** Text detector: line boxes in image pixels, in reading order, at most `maxLines`. */
async function detectLines (model: OcrModel, config: OcrConfig, image: RgbImage): Promise<TextBox[]> {
  const scale = Math.min(1, config.detMaxSide / Math.max(image.width, image.height))
  const dw = Math.max(32, Math.round((image.width * scale) / 32) * 32)
  const dh = Math.max(32, Math.round((image.height * scale) / 32) * 32)
  const input = resizeNormalisedChw(image, dw, dh, DET_MEAN, DET_STD)
  const detOut = await run(model.det, { [model.det.inputNames[0] as string]: new ort.Tensor('float32', input, [1, 3, dh, dw]) }, 'OCR detection')
  const prob = detOut[model.det.outputNames[0] as string]?.data as Float32Array
  return dbBoxes(prob, dw, dh, config)
    .map((b) => ({ ...b, x0: (b.x0 / dw) * image.width, x1: (b.x1 / dw) * image.width, y0: (b.y0 / dh) * image.height, y1: (b.y1 / dh) * image.height }))
    .sort((a, b) => (Math.abs(a.y0 - b.y0) < 0.5 * (a.y1 - a.y0) ? a.x0 - b.x0 : a.y0 - b.y0))
    .slice(0, config.maxLines)
}

/** The recogniser's input width for a line: height 48, width by aspect, at most 640. */
function recWidth (b: TextBox): number {
  return Math.min(REC_MAX_WIDTH, Math.max(16, Math.round((REC_HEIGHT * (b.x1 - b.x0)) / Math.max(1, b.y1 - b.y0))))
}

interface ReadLine { text: string, score: number }

/** A recognised line that becomes a text region: some text, at least `minTextScore`. */
function readable (line: ReadLine, config: OcrConfig): boolean {
  return line.text !== '' && line.score >= config.minTextScore
}

/**
 * Recognises lines in one batch, each `widths[n]` wide, zero-padded to `padTo`.
 * A line's result depends on its own pixels and `padTo` only, not on the other
 * lines of the batch (onnxruntime runs the rows independently; the OCR test
 * checks it), which is what lets ocr() below read a subset.
 */
async function recogniseBatch (model: OcrModel, image: RgbImage, boxes: readonly TextBox[], widths: readonly number[], padTo: number): Promise<ReadLine[]> {
  const batch = new Float32Array(boxes.length * 3 * REC_HEIGHT * padTo)
  const linePlane = REC_HEIGHT * padTo
  boxes.forEach((b, n) => {
    const w = widths[n] as number
    const crop = cropResizeRgb(image, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0, w, REC_HEIGHT)
    const base = n * 3 * linePlane
    for (let y = 0; y < REC_HEIGHT; y++) {
      for (let x = 0; x < w; x++) {
        const src = (y * w + x) * 3
        for (let c = 0; c < 3; c++) batch[base + c * linePlane + y * padTo + x] = ((crop[src + c] as number) / 255 - 0.5) / 0.5
      }
    }
  })
  const recOut = await run(model.rec, { [model.rec.inputNames[0] as string]: new ort.Tensor('float32', batch, [boxes.length, 3, REC_HEIGHT, padTo]) }, 'OCR recognition')
  const out = recOut[model.rec.outputNames[0] as string] as ort.Tensor
  const [, steps, classes] = out.dims as [number, number, number]
  const probs = out.data as Float32Array
  return boxes.map((_, n) => ctcDecode(probs, steps, classes, n * steps * classes, model.dictionary))
}

/**
 * Recognises `indices` of `boxes`. `lineWidth: 'own'`: lines of equal width
 * share a batch, each at its own width, so a line's text never depends on the
 * other lines of the image. `'widest'`: every line padded to `widest` (the
 * widest line the detector found), as before issue 15.
 */
async function recogniseLines (model: OcrModel, config: OcrConfig, image: RgbImage, boxes: readonly TextBox[], widths: readonly number[], indices: readonly number[], widest: number): Promise<Map<number, ReadLine>> {
  const groups = new Map<number, number[]>()
  for (const i of indices) {
    const key = config.lineWidth === 'own' ? widths[i] as number : widest
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [i])
    else group.push(i)
  }
  const read = new Map<number, ReadLine>()
  for (const [padTo, group] of groups) {
    const lines = await recogniseBatch(model, image, group.map((i) => boxes[i] as TextBox), group.map((i) => widths[i] as number), padTo)
    group.forEach((i, n) => { read.set(i, lines[n] as ReadLine) })
  }
  return read
}

/**
 * Text lines as regions, in reading order. With `limit` (the text slots
 * selectRegions can fill, textSlots() in analyse.ts), lines are read in
 * descending detector score and reading stops once `limit` lines are kept
 * whose scores all beat the detector score of every line not yet read: a
 * region's score is min(recogniser, detector) score, so such a line could
 * never be selected. What selectRegions keeps is then the same as with every
 * line read.
 */
export async function ocr (model: OcrModel, config: OcrConfig, image: RgbImage, stats: TextReadingStats, limit?: number): Promise<ImageRegion[]> {
  const detectStart = performance.now()
  const boxes = await detectLines(model, config, image)
  const recogniseStart = performance.now()
  stats.images++
  stats.detectMs += recogniseStart - detectStart
  stats.linesDetected += boxes.length
  // No line, no recogniser run.
  if (boxes.length === 0) return []

  const widths = boxes.map(recWidth)
  const widest = Math.max(...widths)
  const want = Math.max(1, Math.min(limit ?? boxes.length, boxes.length))
  // Best detector score first; reading order breaks ties.
  const order = boxes.map((_, i) => i).sort((a, b) => (boxes[b] as TextBox).score - (boxes[a] as TextBox).score || a - b)
  const read = new Map<number, ReadLine>()
  const kept: number[] = []
  let next = 0
  while (next < order.length) {
    if (kept.length >= want) {
      const weakest = [...kept].sort((a, b) => b - a)[want - 1] as number
      if (weakest > (boxes[order[next] as number] as TextBox).score) break
    }
    const chunk = order.slice(next, next + Math.max(1, want - kept.length))
    next += chunk.length
    for (const [i, line] of await recogniseLines(model, config, image, boxes, widths, chunk, widest)) {
      read.set(i, line)
      if (readable(line, config)) kept.push(Math.min(line.score, (boxes[i] as TextBox).score))
    }
  }
  stats.linesRecognised += read.size
  stats.recogniseMs += performance.now() - recogniseStart

  const regions: ImageRegion[] = []
  boxes.forEach((b, i) => {
    const line = read.get(i)
    if (line === undefined || !readable(line, config)) return
    regions.push({
      label: 'text',
      text: line.text,
      kind: 'text',
      score: Math.min(line.score, b.score),
      box: { x: clamp01(b.x0 / image.width), y: clamp01(b.y0 / image.height), w: clamp01((b.x1 - b.x0) / image.width), h: clamp01((b.y1 - b.y0) / image.height) }
    })
  })
  return regions
}
