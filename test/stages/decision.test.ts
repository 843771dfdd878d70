// Stage 2's decision rule, on hand-made probability vectors.
import assert from 'node:assert/strict'
import { test } from 'vitest'
import { decideType } from '../../src/stages/decision.js'

const defaults = { maxNoneScore: 0.5, minTypeScore: 0.5 }

test('the most probable entity type wins when NONE is not likely enough', () => {
  assert.deepEqual(decideType([0.7, 0.1, 0.1, 0.05, 0.05], defaults), { type: 'PER', score: 0.7 })
  assert.deepEqual(decideType([0.05, 0.05, 0.35, 0.2, 0.35], { maxNoneScore: 0.4, minTypeScore: 0.3 }), { type: 'ORG', score: 0.35 })
})

test('NONE at or above maxNoneScore drops the candidate', () => {
  assert.equal(decideType([0.2, 0.1, 0.1, 0.1, 0.5], defaults), null)
  assert.equal(decideType([0.45, 0, 0, 0, 0.55], { maxNoneScore: 0.6, minTypeScore: 0.5 }), null, 'type below minTypeScore')
  assert.deepEqual(decideType([0.45, 0, 0, 0, 0.55], { maxNoneScore: 0.6, minTypeScore: 0.4 }), { type: 'PER', score: 0.45 })
})

test('a type below minTypeScore is dropped even when NONE is unlikely', () => {
  assert.equal(decideType([0.3, 0.3, 0.2, 0.1, 0.1], defaults), null)
})
