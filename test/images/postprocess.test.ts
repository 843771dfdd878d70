import { describe, expect, it } from 'vitest'
import type { ImageRegion } from '../../src/contracts/index.js'
import { iou, nonMaxSuppression } from '../../src/images/boxes.js'
import { ctcDecode, dbBoxes } from '../../src/images/engine.js'
import { describeImage, selectRegions, textSlots } from '../../src/images/analyse.js'
import { orderBySimilarity } from '../../src/images/stage.js'
import { ImagesConfigSchema } from '../../src/images/index.js'

const region = (label: string, score: number, x: number, kind: 'object' | 'text' = 'object', text: string | null = null): ImageRegion =>
  ({ label, text, kind, score, box: { x, y: 0.1, w: 0.2, h: 0.2 } })

describe('post-processing (hand-built inputs)', () => {
  it('DB boxes: one box per blob, low-probability blobs dropped, boxes unclipped', () => {
    const w = 40
    const h = 20
    const prob = new Float32Array(w * h)
    for (let y = 5; y < 10; y++) for (let x = 4; x < 20; x++) prob[y * w + x] = 0.9 // a text kernel
    for (let y = 12; y < 16; y++) for (let x = 25; x < 35; x++) prob[y * w + x] = 0.4 // weak blob
    prob[0] = 0.95 // a speck
    const boxes = dbBoxes(prob, w, h, { binaryThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5 })
    expect(boxes.length).toBe(1)
    const b = boxes[0]!
    const d = (16 * 5 * 1.5) / (2 * (16 + 5))
    expect(Math.abs(b.x0 - (4 - d)) < 1e-6 && Math.abs(b.x1 - (20 + d)) < 1e-6).toBeTruthy()
    expect(Math.abs(b.y0 - (5 - d)) < 1e-6 && Math.abs(b.y1 - (10 + d)) < 1e-6).toBeTruthy()
    expect(Math.abs(b.score - 0.9) < 1e-6).toBeTruthy()
  })

  it('CTC: collapses repeats, drops blanks, keeps doubled letters split by a blank, maps the last class to a space', () => {
    const dict = ['a', 'b', 'l', 'o']
    const classes = dict.length + 2
    const path = [3, 3, 0, 3, 4, 5, 2, 0, 0] // l l _ l o ␠ b _ _
    const probs = new Float32Array(path.length * classes)
    path.forEach((c, t) => { probs[t * classes + c] = 0.9 })
    const { text, score } = ctcDecode(probs, path.length, classes, 0, dict)
    expect(text).toBe('llo b')
    expect(Math.abs(score - 0.9) < 1e-6).toBeTruthy()
  })

  it('NMS is class-agnostic and keeps the better of overlapping boxes', () => {
    const car = region('car', 0.6, 0.1)
    const truck = region('truck', 0.4, 0.11)
    const dog = region('dog', 0.5, 0.6)
    expect(iou(car.box, truck.box) > 0.8).toBeTruthy()
    expect(nonMaxSuppression([truck, dog, car], 0.5).map((r) => r.label)).toStrictEqual(['car', 'dog'])
  })

  it('selects at most K regions with text first, and describes them briefly', () => {
    const objects = Array.from({ length: 20 }, (_, i) => region(i % 2 === 0 ? 'person' : 'dog', 0.9 - i * 0.01, i / 40))
    const texts = [region('text', 0.99, 0.5, 'text', 'STARBUCKS'), region('text', 0.8, 0.6, 'text', 'OPEN')]
    const chosen = selectRegions(objects, texts, 18)
    expect(chosen.length).toBe(18)
    expect(chosen.slice(0, 2).map((r) => r.text)).toStrictEqual(['STARBUCKS', 'OPEN'])
    expect(chosen[2]!.score).toBe(0.9)
    expect(describeImage(chosen)).toBe('8 people, 8 dogs; text: STARBUCKS OPEN')
    expect(describeImage([])).toBe('')
  })

  it('textSlots is how many texts selectRegions keeps at most, and texts outside the best that many change nothing', () => {
    let seed = 3
    const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 32 }
    for (let trial = 0; trial < 400; trial++) {
      const topK = 1 + Math.floor(rand() * 24)
      // Scores on a coarse grid, so ties (broken by input order) are common.
      const objects = Array.from({ length: Math.floor(rand() * 30) }, (_, i) => region('person', Math.round(rand() * 10) / 10, i / 40))
      const texts = Array.from({ length: Math.floor(rand() * 30) }, (_, i) => region('text', Math.round(rand() * 10) / 10, i / 40, 'text', `t${i}`))
      const slots = textSlots(objects.length, topK)
      const chosen = selectRegions(objects, texts, topK)
      expect(chosen.filter((r) => r.kind === 'text').length, `K ${topK}, ${objects.length} objects, ${texts.length} texts`).toBe(Math.min(texts.length, slots))
      // Drop texts scoring strictly below the slots-th best (what ocr() leaves unread): the same selection.
      const cut = [...texts].sort((a, b) => b.score - a.score)[slots - 1]?.score ?? -1
      const kept = texts.filter((t) => t.score >= cut)
      expect(selectRegions(objects, kept, topK)).toStrictEqual(chosen)
    }
  })

  it('orders regions per candidate by similarity, stable on ties', () => {
    expect(orderBySimilarity([[0.1, 0.9, 0.5], [0.3, 0.3, 0.3]], 3, 3)).toStrictEqual([[1, 2, 0], [0, 1, 2], [0, 1, 2]])
  })

  it('config rejects unknown keys and bad CIDRs, and fills every default', () => {
    expect(() => ImagesConfigSchema.parse({ fetch: { allowCidr: ['10.0.0.0/8'] } })).toThrow()
    expect(() => ImagesConfigSchema.parse({ fetch: { allowCidrs: ['10.0.0.0/40'] } })).toThrow()
    expect(() => ImagesConfigSchema.parse({ topk: 18 })).toThrow()
    const c = ImagesConfigSchema.parse({})
    expect(c.topK).toBe(18)
    expect(c.fetch.allowCidrs).toStrictEqual([])
    expect(c.detector.resize).toBe('letterbox')
    expect(c.grounding.useObjectHead).toBe(false)
    expect(c.ocr.lineWidth).toBe('own')
    expect(() => ImagesConfigSchema.parse({ ocr: { lineWidth: 'padded' } })).toThrow()
  })
})
