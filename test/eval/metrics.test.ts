import assert from 'node:assert/strict'
import { test } from 'vitest'
import { evaluateUnseen, seenSurfaces } from '../../src/eval/run-eval.js'
import { evaluate, iou, regionMatches, score, type GoldEntity, type PredictedEntity } from '../../src/eval/metrics.js'

const box = (xmin: number, ymin: number, xmax: number, ymax: number) => ({ xmin, ymin, xmax, ymax })

test('iou of hand-computed boxes', () => {
  assert.equal(iou(box(0, 0, 10, 10), box(0, 0, 10, 10)), 1)
  // Overlap 5x10 = 50; union 100 + 100 - 50 = 150.
  assert.equal(iou(box(0, 0, 10, 10), box(5, 0, 15, 10)), 50 / 150)
  assert.equal(iou(box(0, 0, 10, 10), box(10, 0, 20, 10)), 0)
})

test('region matches: None with None, box with IoU >= 0.5 against any gold box', () => {
  assert.equal(regionMatches(null, []), true)
  assert.equal(regionMatches(null, [box(0, 0, 1, 1)]), false)
  assert.equal(regionMatches(box(0, 0, 10, 10), []), false)
  // IoU 50/150 = 0.33 with the first, 1 with the second.
  assert.equal(regionMatches(box(0, 0, 10, 10), [box(5, 0, 15, 10), box(0, 0, 10, 10)]), true)
  assert.equal(regionMatches(box(0, 0, 10, 10), [box(5, 0, 15, 10)]), false)
})

test('score handles empty denominators', () => {
  assert.deepEqual(score(0, 0, 0), { tp: 0, predicted: 0, gold: 0, precision: 0, recall: 0, f1: 0 })
  const s = score(2, 4, 5)
  assert.equal(s.precision, 0.5)
  assert.equal(s.recall, 0.4)
  // 2PR/(P+R) = 2 * 0.5 * 0.4 / 0.9
  assert.ok(Math.abs(s.f1 - 0.4 / 0.9) < 1e-12)
})

test('evaluate: hand-computed span, MNER, per-type and GMNER counts', () => {
  const gold: GoldEntity[] = [
    { start: 0, end: 5, type: 'PER', boxes: [box(0, 0, 10, 10)] },
    { start: 10, end: 15, type: 'LOC', boxes: [] },
    { start: 20, end: 25, type: 'ORG', boxes: [] }
  ]
  const predicted: PredictedEntity[] = [
    { start: 0, end: 5, type: 'PER', box: box(1, 1, 10, 10) }, // span+type right, IoU 0.81: GMNER right
    { start: 10, end: 15, type: 'ORG', box: null }, // span right, type wrong
    { start: 20, end: 25, type: 'ORG', box: box(0, 0, 5, 5) }, // MNER right, gold None but box given: GMNER wrong
    { start: 30, end: 35, type: 'PER', box: null } // spurious
  ]
  const result = evaluate([{ gold, predicted }])
  assert.deepEqual([result.span.tp, result.span.predicted, result.span.gold], [3, 4, 3])
  assert.deepEqual([result.mner.tp, result.mner.predicted, result.mner.gold], [2, 4, 3])
  assert.deepEqual([result.gmner.tp, result.gmner.predicted, result.gmner.gold], [1, 4, 3])
  assert.deepEqual([result.mnerByType.PER.tp, result.mnerByType.PER.predicted, result.mnerByType.PER.gold], [1, 2, 1])
  assert.deepEqual([result.mnerByType.ORG.tp, result.mnerByType.ORG.predicted, result.mnerByType.ORG.gold], [1, 2, 1])
  assert.deepEqual([result.mnerByType.LOC.tp, result.mnerByType.LOC.predicted, result.mnerByType.LOC.gold], [0, 0, 1])
  assert.equal(result.mner.precision, 0.5)
  assert.equal(result.mner.recall, 2 / 3)
})

test('evaluate: duplicate predictions of one gold entity count once; candidates score the span metric', () => {
  const gold: GoldEntity[] = [{ start: 0, end: 5, type: 'PER', boxes: [] }]
  const predicted: PredictedEntity[] = [
    { start: 0, end: 5, type: 'PER', box: null },
    { start: 0, end: 5, type: 'PER', box: null }
  ]
  const candidates = [{ start: 0, end: 5 }, { start: 6, end: 9 }, { start: 11, end: 12 }]
  const result = evaluate([{ gold, predicted, candidates }])
  assert.deepEqual([result.mner.tp, result.mner.predicted], [1, 2])
  assert.deepEqual([result.span.tp, result.span.predicted, result.span.gold], [1, 3, 1])
})

test('evaluateUnseen keeps only entities whose surface training never saw', () => {
  const text = 'Paris and Zentrix met Okafor'
  const gold: GoldEntity[] = [
    { start: 0, end: 5, type: 'LOC', boxes: [] }, // Paris: seen
    { start: 10, end: 17, type: 'ORG', boxes: [] }, // Zentrix: unseen
    { start: 22, end: 28, type: 'PER', boxes: [] } // Okafor: unseen
  ]
  const predicted: PredictedEntity[] = [
    { start: 0, end: 5, type: 'LOC', box: null },
    { start: 10, end: 17, type: 'ORG', box: null },
    { start: 22, end: 28, type: 'ORG', box: null }
  ]
  const seen = new Set(['paris'])
  const result = evaluateUnseen([{ gold, predicted }], [text], seen)
  assert.deepEqual([result.mner.tp, result.mner.predicted, result.mner.gold], [1, 2, 2])
  assert.deepEqual([...seenSurfaces([{ imageId: '1', words: [], tags: [], text: '', wordStarts: [], imageSize: null, entities: [{ start: 0, end: 5, type: 'LOC', boxes: [], text: 'PARIS', wordStart: 0, wordEnd: 1 }] }])], ['paris'])
})
