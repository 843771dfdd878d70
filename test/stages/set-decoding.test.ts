// MQSPN's decoding rule on hand-made logits: the same cases as
// training/tests/test_mqspn.py, so the service decodes as the trainer scored.
import { expect, test } from 'vitest'
import { decodeSetPredictions, type SetPrediction } from '../../src/stages/set-decoding.js'

const options = { maxNoneScore: 0.5, minTypeScore: 0.5, maxSpanWords: 10 }
const firstSubtoken = [1, 2, 3, 4] // four words, one sub-token each
const width = 6

function prediction (typeProbabilities: number[][], pointers: Array<[number, number]>): SetPrediction {
  const queries = typeProbabilities.length
  const startLogits = new Float32Array(queries * width)
  const endLogits = new Float32Array(queries * width)
  pointers.forEach(([start, end], q) => {
    startLogits[q * width + start] = 8
    endLogits[q * width + end] = 8
  })
  return { typeLogits: typeProbabilities.flat().map(Math.log), startLogits, endLogits, queries, width }
}

test('keeps confident queries and the better of two overlapping spans', () => {
  const got = decodeSetPredictions(prediction([
    [0.9, 0.02, 0.02, 0.02, 0.04], // PER over words 0..1
    [0.02, 0.6, 0.02, 0.02, 0.34], // LOC over word 1: overlaps the PER span, less sure
    [0.1, 0.1, 0.1, 0.1, 0.6], // no entity
    [0.02, 0.02, 0.7, 0.02, 0.24] // ORG over word 3
  ], [[1, 2], [2, 2], [1, 1], [4, 4]]), firstSubtoken, options)
  expect(got.map(({ start, end, typeScores }) => ({ start, end, type: typeScores.indexOf(Math.max(...typeScores)) }))).toStrictEqual([
    { start: 0, end: 2, type: 0 },
    { start: 3, end: 4, type: 2 }
  ])
  expect(got.every((span) => span.score > 0.9 && span.score <= 1)).toBeTruthy()
  expect(Math.abs((got[0]?.typeScores.reduce((a, b) => a + b, 0) ?? 0) - 1) < 1e-6).toBeTruthy()
})

test('drops a query whose best type is below minTypeScore even when NONE is lower still', () => {
  expect(decodeSetPredictions(prediction([[0.4, 0.35, 0.05, 0.05, 0.15]], [[1, 2]]), firstSubtoken, options)).toStrictEqual([])
  const lenient = decodeSetPredictions(prediction([[0.4, 0.35, 0.05, 0.05, 0.15]], [[1, 2]]), firstSubtoken, { ...options, minTypeScore: 0.3 })
  expect(lenient.map(({ start, end }) => [start, end])).toStrictEqual([[0, 2]])
})

test('never points at truncated words, and spans stay within maxSpanWords', () => {
  // the end pointer prefers sub-token 4, whose word was truncated away (-1): the best remaining end is used
  const got = decodeSetPredictions(prediction([[0.9, 0.02, 0.02, 0.02, 0.04]], [[1, 4]]), [1, 2, 3, -1], options)
  expect(got.length).toBe(1)
  expect((got[0]?.end ?? 99) <= 3).toBeTruthy()
  const short = decodeSetPredictions(prediction([[0.9, 0.02, 0.02, 0.02, 0.04]], [[1, 4]]), firstSubtoken, { ...options, maxSpanWords: 2 })
  expect(((short[0]?.end ?? 0) - (short[0]?.start ?? 0)) <= 2).toBeTruthy()
  expect(decodeSetPredictions(prediction([[0.9, 0.02, 0.02, 0.02, 0.04]], [[1, 2]]), [-1, -1], options)).toStrictEqual([])
})
