// "OCR only where it can matter" (issue 15): the recogniser reads only lines
// that can be selected. These run the real models on the project's test images.
import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { ImageRegion } from '../../src/contracts/index.js'
import { createImageEngine, selectRegions, type ImageEngine } from '../../src/images/index.js'
import { textSlots } from '../../src/images/analyse.js'
import { renderScreenshot, rgbOf, testConfig } from '../../bench/support/images.js'

type Rgb = { data: Uint8Array, width: number, height: number }

function people (n: number): ImageRegion[] {
  return Array.from({ length: n }, (_, i) => ({ label: 'person', text: null, kind: 'object' as const, score: 0.9 - i * 0.01, box: { x: i / 40, y: 0.1, w: 0.1, h: 0.3 } }))
}

describe('OCR reads only the lines that can matter (real models)', () => {
  let engine: ImageEngine
  let screenshot: Rgb

  beforeAll(async () => {
    const config = testConfig()
    engine = await createImageEngine({ detector: config.detector, ocr: config.ocr, embedder: { ...config.embedder, enabled: false }, intraOpThreads: 1 })
    screenshot = await rgbOf(await renderScreenshot())
  })
  afterAll(async () => {
    await engine?.dispose()
  })

  it('reading only the lines that can be selected selects exactly the same regions, and reads fewer lines', async () => {
    const all = await engine.readText(screenshot)
    assert.ok(all.length >= 20, `${all.length} lines`)
    const reads: string[] = []
    for (const [objects, topK] of [[0, 18], [9, 18], [17, 18], [3, 6]] as const) {
      const slots = textSlots(objects, topK)
      const before = engine.textStats().linesRecognised
      const some = await engine.readText(screenshot, slots)
      const read = engine.textStats().linesRecognised - before
      reads.push(`${slots} slots: ${read} read`)
      assert.deepEqual(selectRegions(people(objects), some, topK), selectRegions(people(objects), all, topK), `${objects} objects, K ${topK}`)
      if (slots <= 9) assert.ok(read < all.length, reads.join(', '))
    }
  })
})
