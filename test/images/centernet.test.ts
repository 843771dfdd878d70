import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createImageEngine, type ImageEngine } from '../../src/images/index.js'
import { isGroundstreamError } from '../../src/errors/index.js'
import { decodeCenterNet } from '../../src/images/centernet.js'
import { fixture, rgbOf, testConfig } from '../../bench/support/images.js'
import { ROOT } from '../support/paths.js'

describe('CenterNet decoding', () => {
  it('picks 3x3 peaks per class and builds boxes from the distances (hand-built heads)', () => {
    const grid = 4
    const classes = 2
    const kp = new Float32Array(grid * grid * classes)
    const wh = new Float32Array(grid * grid * 4)
    const set = (x: number, y: number, c: number, v: number): void => { kp[(y * grid + x) * classes + c] = v }
    set(1, 1, 0, 0.9) // a peak
    set(2, 1, 0, 0.5) // its neighbour: not a peak
    set(2, 1, 1, 0.6) // same cell, other class: a peak of its own
    set(3, 3, 0, 0.2) // below the threshold
    wh.set([2, 3, 4, 5], (1 * grid + 1) * 4)
    const found = decodeCenterNet(kp, wh, 0, { grid, classes, stride: 4 }, 0.3)
    expect(found.map((d) => [d.cls, Math.round(d.score * 100) / 100])).toStrictEqual([[0, 0.9], [1, 0.6]])
    expect([found[0]!.x1, found[0]!.y1, found[0]!.x2, found[0]!.y2]).toStrictEqual([4 - 2, 4 - 3, 4 + 4, 4 + 5])
  })
})

describe('detector against the TF graph\'s own decoding', () => {
  let engine: ImageEngine
  beforeAll(async () => {
    const config = testConfig({ detector: { resize: 'stretch', minScore: 0.3, nmsIou: 1 } })
    engine = await createImageEngine({ detector: config.detector, ocr: { ...config.ocr, enabled: false }, embedder: { ...config.embedder, enabled: false }, intraOpThreads: 1 })
  })
  afterAll(async () => { await engine.dispose() })

  it('finds every confident detection of the original graph (same class, IoU > 0.9, score within 0.03)', async () => {
    const reference = JSON.parse(await readFile(path.join(ROOT, 'models', 'detector', 'reference-detections.json'), 'utf8')) as { detections: Record<string, number[][]> }
    for (const [name, rows] of Object.entries(reference.detections)) {
      const regions = await engine.detectObjects(await rgbOf(await fixture(name)))
      for (const [x1, y1, x2, y2, score, cls] of rows.filter((r) => (r[4] as number) >= 0.35) as number[][]) {
        const box = { x: x1! / 512, y: y1! / 512, w: (x2! - x1!) / 512, h: (y2! - y1!) / 512 }
        const match = regions.find((r) => {
          const ix = Math.max(0, Math.min(r.box.x + r.box.w, box.x + box.w) - Math.max(r.box.x, box.x))
          const iy = Math.max(0, Math.min(r.box.y + r.box.h, box.y + box.h) - Math.max(r.box.y, box.y))
          const inter = ix * iy
          return inter / (r.box.w * r.box.h + box.w * box.h - inter) > 0.9 && Math.abs(r.score - score!) < 0.03
        })
        expect(match, `${name}: class ${cls} score ${score} at ${JSON.stringify(box)} not found in ${JSON.stringify(regions.map((r) => [r.label, r.score]))}`).toBeTruthy()
      }
    }
  })

  it('gives the same regions batched as one by one', async () => {
    const images = await Promise.all(['dog.jpg', 'person.jpg', 'horses.jpg'].map(async (n) => await rgbOf(await fixture(n))))
    const batched = await engine.detectObjectsBatch(images)
    for (let i = 0; i < images.length; i++) {
      const single = await engine.detectObjects(images[i]!)
      expect(batched[i]!.length).toBe(single.length)
      batched[i]!.forEach((r, j) => {
        expect(r.label).toBe(single[j]!.label)
        expect(Math.abs(r.score - single[j]!.score) < 1e-4).toBeTruthy()
        expect(Math.abs(r.box.x - single[j]!.box.x) < 1e-4).toBeTruthy()
      })
    }
  })
})

describe('detector precision', () => {
  it('runs fp32 by default, and int8 only when the manifest names an int8 file (none is shipped: docs/images.md)', async () => {
    const config = testConfig()
    expect(config.detector.precision).toBe('fp32')
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'models', 'detector', 'manifest.json'), 'utf8')) as { files?: Record<string, string> }
    expect(manifest.files?.fp32).toBe('centernet.onnx')
    if (manifest.files?.int8 !== undefined) return
    const int8 = testConfig({ detector: { precision: 'int8' } })
    await assert.rejects(
      createImageEngine({ detector: int8.detector, ocr: { ...int8.ocr, enabled: false }, embedder: { ...int8.embedder, enabled: false }, intraOpThreads: 1 }),
      (error: unknown) => isGroundstreamError(error, 'GS_ERR_MODEL_MISSING') && /names no int8 file/u.test((error as Error).message)
    )
  })
})
