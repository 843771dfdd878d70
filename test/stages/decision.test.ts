// Stage 2's decision rule, on hand-made probability vectors.
import { expect, test } from 'vitest'
import { decideType } from '../../src/stages/decision.js'

const defaults = { maxNoneScore: 0.5, minTypeScore: 0.5 }

test('the most probable entity type wins when NONE is not likely enough', () => {
  expect(decideType([0.7, 0.1, 0.1, 0.05, 0.05], defaults)).toStrictEqual({ type: 'PER', score: 0.7 })
  expect(decideType([0.05, 0.05, 0.35, 0.2, 0.35], { maxNoneScore: 0.4, minTypeScore: 0.3 })).toStrictEqual({ type: 'ORG', score: 0.35 })
})

test('NONE at or above maxNoneScore drops the candidate', () => {
  expect(decideType([0.2, 0.1, 0.1, 0.1, 0.5], defaults)).toBe(null)
  expect(decideType([0.45, 0, 0, 0, 0.55], { maxNoneScore: 0.6, minTypeScore: 0.5 }), 'type below minTypeScore').toBe(null)
  expect(decideType([0.45, 0, 0, 0, 0.55], { maxNoneScore: 0.6, minTypeScore: 0.4 })).toStrictEqual({ type: 'PER', score: 0.45 })
})

test('a type below minTypeScore is dropped even when NONE is unlikely', () => {
  expect(decideType([0.3, 0.3, 0.2, 0.1, 0.1], defaults)).toBe(null)
})
