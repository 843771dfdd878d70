// The threshold sweep re-applies the service's rules to recorded probabilities.
import { expect, test } from 'vitest'
import { newPostWork } from '../../src/consumers/index.js'
import type { Candidate } from '../../src/contracts/index.js'
import type { DatasetTweet } from '../../src/eval/dataset.js'
import { heldOutGain, redecide, sweep } from '../../src/eval/sweep.js'

const text = 'Nike opens in Paris'
const tweet: DatasetTweet = {
  imageId: 'x',
  words: text.split(' '),
  tags: ['B-ORG', 'O', 'O', 'B-LOC'],
  text,
  wordStarts: [0, 5, 11, 14],
  entities: [
    { start: 0, end: 4, type: 'ORG', boxes: [], text: 'Nike', wordStart: 0, wordEnd: 1 },
    { start: 14, end: 19, type: 'LOC', boxes: [], text: 'Paris', wordStart: 3, wordEnd: 4 }
  ],
  imageSize: null
}

function recorded (): { work: ReturnType<typeof newPostWork>, tweet: DatasetTweet } {
  const work = newPostWork({ id: 'p', text, created_at: '2026-11-30T00:00:00Z', image_urls: [] }, { topic: 't', partition: 0, offset: '0' })
  const nike: Candidate = { postId: 'p', text: 'Nike', start: 0, end: 4, wordStart: 0, wordEnd: 1, score: 0.9 }
  const paris: Candidate = { postId: 'p', text: 'Paris', start: 14, end: 19, wordStart: 3, wordEnd: 4, score: 0.4 }
  work.candidates = [{ candidate: nike, knowledge: null }, { candidate: paris, knowledge: null }]
  work.entities = [
    // ORG is right but the model is unsure whether Nike is an entity at all
    { candidate: nike, type: 'ORG', typeScore: 0.4, typeScores: [0.05, 0.05, 0.4, 0.05, 0.45], knowledge: null, grounding: null },
    { candidate: paris, type: 'LOC', typeScore: 0.8, typeScores: [0.05, 0.8, 0.05, 0.05, 0.05], knowledge: null, grounding: null }
  ]
  return { work, tweet }
}

test('redecide applies the span, NONE and type thresholds', () => {
  const strict = redecide(recorded(), { minSpanScore: 0.5, maxNoneScore: 0.4, minTypeScore: 0.3 })
  expect(strict.predicted, 'Nike: NONE 0.45 >= 0.4; Paris: span 0.4 < 0.5').toStrictEqual([])
  expect(strict.candidates).toStrictEqual([{ start: 0, end: 4 }])
  const lenient = redecide(recorded(), { minSpanScore: 0.3, maxNoneScore: 0.5, minTypeScore: 0.3 })
  expect(lenient.predicted.map((entity) => entity.type)).toStrictEqual(['ORG', 'LOC'])
})

test('sweep ranks grid points by MNER F1', () => {
  const points = sweep([recorded()], { minSpanScore: [0.3, 0.5], maxNoneScore: [0.4, 0.5], minTypeScore: [0.3] })
  expect(points.length).toBe(4)
  expect([points[0]?.minSpanScore, points[0]?.maxNoneScore]).toStrictEqual([0.3, 0.5])
  expect(points[0]?.scores.mner.f1).toBe(1)
  expect(points.at(-1)?.scores.mner.f1).toBe(0)
})

test('heldOutGain scores the thresholds chosen on one half on the other half', () => {
  // Four copies of one post: each half prefers the lenient point (F1 1), so the
  // held-out gain is 0 against lenient defaults and 1 against strict ones.
  const posts = Array.from({ length: 4 }, () => recorded())
  const defaults = { minSpanScore: 0.3, maxNoneScore: 0.5, minTypeScore: 0.3 }
  const grid = { minSpanScore: [0.3, 0.5], maxNoneScore: [0.4, 0.5], minTypeScore: [0.3] }
  const estimate = heldOutGain(posts, defaults, grid)
  expect(estimate.folds.length).toBe(4)
  for (const fold of estimate.folds) {
    expect(fold.chosen, 'identical halves choose the best point, which is the defaults here').toStrictEqual(defaults)
    expect(fold.chosenF1).toBe(fold.defaultF1)
  }
  expect(estimate.meanGain).toBe(0)
  const strictDefaults = { minSpanScore: 0.5, maxNoneScore: 0.4, minTypeScore: 0.3 }
  const gain = heldOutGain(posts, strictDefaults, grid)
  expect(gain.meanGain, 'the other half confirms the lenient point: F1 0 -> 1').toBe(1)
})
