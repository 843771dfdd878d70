// Calls split across text-model workers come back whole, in request order,
// with the answers one in-process engine gives (the models are batch-invariant).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTextModels, splitWords, TextModelsConfigSchema, type TextModels, type TypeRequest } from '../../src/stages/index.js'
import { splitForWorkers } from '../../src/stages/text-worker-client.js'
import { repoPath } from '../support/paths.js'

test('splitForWorkers deals inputs sorted by size round-robin and leaves no group empty', () => {
  expect(splitForWorkers([5, 1, 9, 3, 7], 2)).toStrictEqual([[1, 0, 2], [3, 4]])
  expect(splitForWorkers([4], 3)).toStrictEqual([[0]])
  expect(splitForWorkers([], 2)).toStrictEqual([])
  const groups = splitForWorkers(Array.from({ length: 50 }, (_, i) => (i * 37) % 23), 3)
  expect(groups.flat().sort((a, b) => a - b)).toStrictEqual(Array.from({ length: 50 }, (_, i) => i))
  expect(Math.max(...groups.map((g) => g.length)) - Math.min(...groups.map((g) => g.length)) <= 1).toBeTruthy()
})

let pool: TextModels
let single: TextModels

beforeAll(async () => {
  const config = TextModelsConfigSchema.parse({ modelsDir: repoPath('models'), workers: 2, resultCacheBytes: 0 })
  ;[pool, single] = await Promise.all([createTextModels(config), createTextModels(config, { inProcess: true })])
})

afterAll(async () => {
  await Promise.all([pool.close(), single.close()])
})

test('two workers answer a split call exactly as one engine does', async () => {
  const texts = [
    'RT @nasa_news : NASA and SpaceX confirm the launch window from Cape Canaveral in Florida tonight',
    'lunch with Angela Merkel in Berlin',
    'Tried the new iPhone at McDonald\'s in Zürich today , not bad',
    'GO LAKERS !!! Beat Boston tonight',
    'ok'
  ]
  const requests = texts.map((text) => ({ words: splitWords(text).map((word) => word.text) }))
  expect(await pool.detectSpans(requests, { withProbabilities: true })).toStrictEqual(await single.detectSpans(requests, { withProbabilities: true }))
  const prompts: TypeRequest[] = requests.flatMap(({ words }) => words.slice(0, 3).map((word) => ({
    entityWords: [word], sentenceWords: words, knowledge: word.length > 3 ? `${word} is a name in a project-written line.` : '', imageText: '', objectLabels: []
  })))
  expect(await pool.recogniseTypes(prompts)).toStrictEqual(await single.recogniseTypes(prompts))
  expect(await pool.recogniseTypes([])).toStrictEqual([])
})
