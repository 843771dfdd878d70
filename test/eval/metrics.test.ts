import { expect, test } from 'vitest'
import { evaluateUnseen, seenSurfaces } from '../../src/eval/run-eval.js'
import { evaluate, iou, regionMatches, score, type GoldEntity, type PredictedEntity } from '../../src/eval/metrics.js'

const box = (xmin: number, ymin: number, xmax: number, ymax: number) => ({ xmin, ymin, xmax, ymax })

test('iou of hand-computed boxes', () => {
  expect(iou(box(0, 0, 10, 10), box(0, 0, 10, 10))).toBe(1)
  // Overlap 5x10 = 50; union 100 + 100 - 50 = 150.
  expect(iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBe(50 / 150)
  expect(iou(box(0, 0, 10, 10), box(10, 0, 20, 10))).toBe(0)
})

test('region matches: None with None, box with IoU >= 0.5 against any gold box', () => {
  expect(regionMatches(null, [])).toBe(true)
  expect(regionMatches(null, [box(0, 0, 1, 1)])).toBe(false)
  expect(regionMatches(box(0, 0, 10, 10), [])).toBe(false)
  // IoU 50/150 = 0.33 with the first, 1 with the second.
  expect(regionMatches(box(0, 0, 10, 10), [box(5, 0, 15, 10), box(0, 0, 10, 10)])).toBe(true)
  expect(regionMatches(box(0, 0, 10, 10), [box(5, 0, 15, 10)])).toBe(false)
})

test('score handles empty denominators', () => {
  expect(score(0, 0, 0)).toStrictEqual({ tp: 0, predicted: 0, gold: 0, precision: 0, recall: 0, f1: 0 })
  const s = score(2, 4, 5)
  expect(s.precision).toBe(0.5)
  expect(s.recall).toBe(0.4)
  // 2PR/(P+R) = 2 * 0.5 * 0.4 / 0.9
  expect(Math.abs(s.f1 - 0.4 / 0.9) < 1e-12).toBeTruthy()
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
  expect([result.span.tp, result.span.predicted, result.span.gold]).toStrictEqual([3, 4, 3])
  expect([result.mner.tp, result.mner.predicted, result.mner.gold]).toStrictEqual([2, 4, 3])
  expect([result.gmner.tp, result.gmner.predicted, result.gmner.gold]).toStrictEqual([1, 4, 3])
  expect([result.mnerByType.PER.tp, result.mnerByType.PER.predicted, result.mnerByType.PER.gold]).toStrictEqual([1, 2, 1])
  expect([result.mnerByType.ORG.tp, result.mnerByType.ORG.predicted, result.mnerByType.ORG.gold]).toStrictEqual([1, 2, 1])
  expect([result.mnerByType.LOC.tp, result.mnerByType.LOC.predicted, result.mnerByType.LOC.gold]).toStrictEqual([0, 0, 1])
  expect(result.mner.precision).toBe(0.5)
  expect(result.mner.recall).toBe(2 / 3)
})

test('evaluate: duplicate predictions of one gold entity count once; candidates score the span metric', () => {
  const gold: GoldEntity[] = [{ start: 0, end: 5, type: 'PER', boxes: [] }]
  const predicted: PredictedEntity[] = [
    { start: 0, end: 5, type: 'PER', box: null },
    { start: 0, end: 5, type: 'PER', box: null }
  ]
  const candidates = [{ start: 0, end: 5 }, { start: 6, end: 9 }, { start: 11, end: 12 }]
  const result = evaluate([{ gold, predicted, candidates }])
  expect([result.mner.tp, result.mner.predicted]).toStrictEqual([1, 2])
  expect([result.span.tp, result.span.predicted, result.span.gold]).toStrictEqual([1, 3, 1])
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
  expect([result.mner.tp, result.mner.predicted, result.mner.gold]).toStrictEqual([1, 2, 2])
  expect([...seenSurfaces([{ imageId: '1', words: [], tags: [], text: '', wordStarts: [], imageSize: null, entities: [{ start: 0, end: 5, type: 'LOC', boxes: [], text: 'PARIS', wordStart: 0, wordEnd: 1 }] }])]).toStrictEqual(['paris'])
})
