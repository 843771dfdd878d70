import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImageRegion } from '../../src/contracts/index.js'
import { analyseImage, createImageEngine, type ImageEngine } from '../../src/images/index.js'
import { iou } from '../../src/images/boxes.js'
import { chooseRegion, createRegionGrounder, groundEntity, scoreRegions, textMatchScore, typeCompatibility } from '../../src/grounding/grounding.js'
import { fixture, renderSignScene, rgbOf, testConfig } from '../../bench/support/images.js'

const person: ImageRegion = { label: 'person', text: null, kind: 'object', score: 0.8, box: { x: 0.1, y: 0.1, w: 0.3, h: 0.8 } }
const smallPerson: ImageRegion = { label: 'person', text: null, kind: 'object', score: 0.45, box: { x: 0.7, y: 0.5, w: 0.05, h: 0.1 } }
const dog: ImageRegion = { label: 'dog', text: null, kind: 'object', score: 0.7, box: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 } }
const car: ImageRegion = { label: 'car', text: null, kind: 'object', score: 0.6, box: { x: 0.6, y: 0.1, w: 0.3, h: 0.2 } }
const sign: ImageRegion = { label: 'text', text: 'STARBUCKS', kind: 'text', score: 0.97, box: { x: 0.55, y: 0.3, w: 0.4, h: 0.1 } }
const menu: ImageRegion = { label: 'text', text: 'OPEN24HOURS', kind: 'text', score: 0.95, box: { x: 0.55, y: 0.5, w: 0.3, h: 0.08 } }

describe('grounding rules (pure)', () => {
  it('grounds a person entity to the most salient person, not a dog or a small person', () => {
    const g = groundEntity({ entity: { text: 'Obama', type: 'PER' }, regions: [dog, smallPerson, person, car] })
    assert.ok(g)
    expect(g.box).toStrictEqual(person.box)
    expect(g.label).toBe('person')
    expect(g.reason).toMatch(/PER~person/)
  })

  it('grounds an organisation to the text that names it, via name, alias or knowledge title', () => {
    const direct = groundEntity({ entity: { text: 'Starbucks', type: 'ORG' }, regions: [person, menu, sign] })
    expect(direct?.box).toStrictEqual(sign.box)
    expect(direct?.label).toBe('text:STARBUCKS')
    expect(direct!.reason).toMatch(/OCR "STARBUCKS" matches/)
    const hashtag = groundEntity({ entity: { text: '#starbucks', type: 'ORG' }, regions: [person, sign] })
    expect(hashtag?.box).toStrictEqual(sign.box)
    const alias = groundEntity({ entity: { text: 'SBUX', type: 'ORG', aliases: ['Starbucks'] }, regions: [menu, sign] })
    expect(alias?.box).toStrictEqual(sign.box)
    const titled = groundEntity({
      entity: { text: 'the coffee chain', type: 'ORG', knowledge: { key: 'k', canonicalId: 'Q37158', title: 'Starbucks', text: '', source: 'test' } },
      regions: [menu, sign]
    })
    expect(titled?.box).toStrictEqual(sign.box)
  })

  it('returns None when nothing in the image shows the entity', () => {
    expect(groundEntity({ entity: { text: 'Nike', type: 'ORG' }, regions: [person, dog, sign, menu] })).toBe(null)
    expect(groundEntity({ entity: { text: 'Paris', type: 'LOC' }, regions: [person, dog, car] })).toBe(null)
    expect(groundEntity({ entity: { text: 'Obama', type: 'PER' }, regions: [] })).toBe(null)
    expect(groundEntity({ entity: { text: 'Obama', type: 'PER' }, regions: [dog, car, sign] })).toBe(null)
  })

  it('uses the similarity to break ties and the object head only when it is trained', () => {
    const twins: ImageRegion[] = [{ ...dog, box: { x: 0, y: 0, w: 0.2, h: 0.2 } }, { ...dog, box: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 } }]
    const bySimilarity = groundEntity({ entity: { text: 'Rex', type: 'OTHER' }, regions: twins, similarity: [0.2, 0.9] })
    expect(bySimilarity?.box).toStrictEqual(twins[1]!.box)
    const request = { entityText: 'Obama', type: 'PER' as const, knowledge: null, regions: [person, { ...person, box: { x: 0.5, y: 0.1, w: 0.3, h: 0.8 } }], objScores: [0.05, 0.99] }
    expect(chooseRegion(request)?.box, 'untrained head is ignored').toStrictEqual(person.box)
    const trained = createRegionGrounder({ threshold: 0.35, useObjectHead: true, objHeadWeight: 0.5 })
    const g = trained(request)
    expect(g?.box, 'a trained head decides between equal persons').toStrictEqual(request.regions[1]!.box)
    expect(g!.reason).toMatch(/object head 0.99/)
  })

  it('scores text matches tolerantly (OCR drops spaces, case and accents differ)', () => {
    expect(textMatchScore('OPEN24HOURS', ['Open 24 Hours'])).toBe(1)
    expect(textMatchScore('CAFÉ DE FLORE', ['Cafe de Flore'])).toBe(1)
    expect(textMatchScore('STARBUCKS COFFEE', ['Starbucks']) > 0.8).toBeTruthy()
    expect(textMatchScore('STARBUCK', ['Starbucks']) > 0.6).toBeTruthy()
    expect(textMatchScore('NIKE', ['Starbucks']) < 0.1).toBeTruthy()
    expect(typeCompatibility('PER', person)).toBe(1)
    expect(typeCompatibility('ORG', person) < 0.5).toBeTruthy()
    const scores = scoreRegions({ entity: { text: 'Starbucks', type: 'ORG' }, regions: [person, sign] })
    expect(scores[0]!.index).toBe(1)
    expect(scores[0]!.score <= 1 && scores[1]!.score >= 0).toBeTruthy()
  })
})

describe('grounding on real images', () => {
  let engine: ImageEngine
  beforeAll(async () => {
    const config = testConfig()
    engine = await createImageEngine({ detector: config.detector, ocr: config.ocr, embedder: config.embedder, intraOpThreads: 1 })
  })
  afterAll(async () => { await engine.dispose() })

  it('grounds the brand named in the post to its sign, and the person to the person', async () => {
    const scene = await renderSignScene('STARBUCKS')
    const analysis = await analyseImage(engine, await rgbOf(scene.bytes), ['Starbucks', 'Obama', 'Paris'], 18)
    const brand = groundEntity({ entity: { text: 'Starbucks', type: 'ORG' }, regions: analysis.regions, similarity: analysis.similarity[0] })
    assert.ok(brand, 'the brand is grounded')
    expect(iou(brand.box, scene.sign) > 0.3, `${JSON.stringify(brand.box)} vs sign ${JSON.stringify(scene.sign)}`).toBeTruthy()
    const obama = groundEntity({ entity: { text: 'Obama', type: 'PER' }, regions: analysis.regions, similarity: analysis.similarity[1] })
    assert.ok(obama)
    expect(obama.label).toBe('person')
    expect(obama.box.x + obama.box.w < 0.6, 'the person is in the photo on the left').toBeTruthy()
    expect(groundEntity({ entity: { text: 'Paris', type: 'LOC' }, regions: analysis.regions, similarity: analysis.similarity[2] })).toBe(null)
  })

  it('grounds a named dog to the dog in dog.jpg', async () => {
    const analysis = await analyseImage(engine, await rgbOf(await fixture('dog.jpg')), ['Rex the dog'], 18)
    const g = groundEntity({ entity: { text: 'Rex the dog', type: 'OTHER' }, regions: analysis.regions, similarity: analysis.similarity[0] })
    expect(g?.label, JSON.stringify(g)).toBe('dog')
  })
})
