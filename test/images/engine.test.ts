import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analyseImage, createImageEngine, type ImageEngine } from '../../src/images/index.js'
import { iou } from '../../src/images/boxes.js'
import { fixture, renderSignScene, renderText, rgbOf, testConfig } from '../../bench/support/images.js'

describe('image engine (real models)', () => {
  let engine: ImageEngine

  beforeAll(async () => {
    const config = testConfig()
    engine = await createImageEngine({ detector: config.detector, ocr: config.ocr, embedder: config.embedder, intraOpThreads: 1 })
  })
  afterAll(async () => { await engine.dispose() })

  it('finds the dog, bicycle and car in darknet\'s dog.jpg', async () => {
    const regions = await engine.detectObjects(await rgbOf(await fixture('dog.jpg')))
    const labels = regions.map((r) => r.label)
    for (const label of ['dog', 'bicycle', 'car']) expect(labels.includes(label), `${label} in ${labels.join(',')}`).toBeTruthy()
    const dog = regions.find((r) => r.label === 'dog')!
    // The dog sits in the lower left quarter of the photo.
    expect(dog.box.x < 0.3 && dog.box.y > 0.25 && dog.box.x + dog.box.w < 0.55, JSON.stringify(dog.box)).toBeTruthy()
    for (const r of regions) {
      expect(r.kind).toBe('object')
      for (const v of [r.box.x, r.box.y, r.box.x + r.box.w, r.box.y + r.box.h]) expect(v >= 0 && v <= 1).toBeTruthy()
    }
  })

  it('finds the person in person.jpg and the horses in horses.jpg', async () => {
    const person = await engine.detectObjects(await rgbOf(await fixture('person.jpg')))
    expect(person.some((r) => r.label === 'person' && r.score > 0.5), person.map((r) => r.label).join(',')).toBeTruthy()
    const horses = await engine.detectObjects(await rgbOf(await fixture('horses.jpg')))
    expect(horses.filter((r) => r.label === 'horse').length >= 3).toBeTruthy()
  })

  it('reads rendered words (OCR)', async () => {
    const regions = await engine.readText(await rgbOf(await renderText(['Hello groundstream', 'Barcelona 2026'])))
    expect(regions.length, JSON.stringify(regions)).toBe(2)
    expect(regions[0]!.text!.replace(/\s/g, '')).toBe('Hellogroundstream')
    expect(regions[1]!.text!.replace(/\s/g, '')).toBe('Barcelona2026')
    expect(regions[0]!.box.y < regions[1]!.box.y).toBeTruthy()
    for (const r of regions) expect(r.kind).toBe('text')
  })

  it('reads a brand name on a sign next to a person', async () => {
    const scene = await renderSignScene('STARBUCKS')
    const regions = await engine.readText(await rgbOf(scene.bytes))
    const sign = regions.find((r) => r.text?.includes('STARBUCKS'))
    assert.ok(sign, JSON.stringify(regions))
    expect(iou(sign.box, scene.sign) > 0.3, `sign box ${JSON.stringify(sign.box)} vs ${JSON.stringify(scene.sign)}`).toBeTruthy()
  })

  it('embeds phrases so related ones are closer (the CLIP stand-in)', async () => {
    const [obama, person, stop, starbucks, coffee] = await engine.embed(['Barack Obama', 'a person', 'a stop sign', 'Starbucks', 'coffee shop'])
    const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * (b[i] as number), 0)
    expect(Math.abs(cos(obama!, obama!) - 1) < 1e-4, 'unit length').toBeTruthy()
    expect(cos(obama!, person!) > cos(obama!, stop!)).toBeTruthy()
    expect(cos(starbucks!, coffee!) > cos(starbucks!, person!)).toBeTruthy()
  })

  it('analyses an image into top-K regions, a description and per-candidate similarity', async () => {
    const scene = await renderSignScene('STARBUCKS')
    const analysis = await analyseImage(engine, await rgbOf(scene.bytes), ['Starbucks', 'Barack Obama'], 18)
    expect(analysis.regions.length <= 18).toBeTruthy()
    expect(analysis.regions.some((r) => r.kind === 'object' && r.label === 'person')).toBeTruthy()
    expect(analysis.description).toMatch(/person/)
    expect(analysis.description).toMatch(/STARBUCKS/)
    expect(analysis.similarity.length).toBe(2)
    const sign = analysis.regions.findIndex((r) => r.text?.includes('STARBUCKS'))
    const starbucks = analysis.similarity[0]!
    expect(starbucks.indexOf(Math.max(...starbucks)), 'Starbucks is most similar to the sign').toBe(sign)
  })
})
