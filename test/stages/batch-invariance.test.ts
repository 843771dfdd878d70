// A post's spans, types and scores must not depend on what it is batched
// with: a replayed post (after a crash or a rebalance) has to give the same
// mentions. The shipped int8 models quantise activations with fixed,
// calibrated scales (static QDQ), so this holds exactly on CPU; the old
// dynamic int8 (one activation scale per batch) changed 51 of 400 dev posts
// between batch 1 and batch 32 and fails this test.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { readSplit } from '../../src/eval/dataset.js'
import { createTextModels, splitWords, TextModelsConfigSchema, type SpanResult, type TextModels, type TypeRequest, type TypeResult } from '../../src/stages/index.js'
import { ROOT } from '../support/paths.js'

const MODELS_DIR = path.join(ROOT, 'models')
const DEV_DIR = path.join(ROOT, '..', 'shared', 'data', 'twitter-gmner')
const BATCH_SIZES = [1, 3, 8, 32]
const TOLERANCE = 1e-5

function jsonl (file: string): Array<{ text?: unknown }> {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').flatMap((line) => {
    try {
      return [JSON.parse(line) as { text?: unknown }]
    } catch {
      return [] // the sample file holds deliberately malformed lines for the dead-letter demo
    }
  })
}

async function postTexts (): Promise<string[]> {
  const written = [
    ...jsonl(path.join(ROOT, 'samples', 'posts.jsonl')),
    ...jsonl(path.join(ROOT, 'test', 'fixtures', 'text', 'batch-invariance-posts.jsonl'))
  ].flatMap((post) => typeof post.text === 'string' ? [post.text] : [])
  if (!existsSync(path.join(DEV_DIR, 'dev.txt'))) {
    console.log(`# ${DEV_DIR} not found: batch invariance checked on the ${written.length} project-written posts only`)
    return written
  }
  const dev = (await readSplit(DEV_DIR, 'dev')).slice(0, 100).map((tweet) => tweet.text)
  return [...written, ...dev]
}

/** A seeded shuffle, so each batch size sees different batch-mates in a reproducible order. */
function shuffled (count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i)
  let state = seed
  for (let i = count - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648
    const j = state % (i + 1)
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  return order
}

/** Runs `requests` in shuffled groups of `size` (one model run per group) and returns results in input order. */
async function inGroups<Req, Res> (requests: readonly Req[], size: number, run: (group: Req[]) => Promise<Res[]>): Promise<Res[]> {
  const order = shuffled(requests.length, size * 7919)
  const results: Res[] = new Array(requests.length)
  for (let i = 0; i < order.length; i += size) {
    const indices = order.slice(i, i + size)
    const out = await run(indices.map((index) => requests[index] as Req))
    indices.forEach((index, k) => { results[index] = out[k] as Res })
  }
  return results
}

function maxDifference (a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length)
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - (b[i] as number))), 0)
}

let models: TextModels
let texts: string[]

beforeAll(async () => {
  texts = await postTexts()
  // One run per group: maxSequencesPerRun above the largest batch size.
  models = await createTextModels(TextModelsConfigSchema.parse({ modelsDir: MODELS_DIR, maxSequencesPerRun: 64 }))
})

afterAll(async () => {
  await models.close()
})

test('stage 1: spans and word probabilities do not depend on batch size or batch-mates', async () => {
  expect(texts.length >= 200, `expected about 200 posts, got ${texts.length}`).toBeTruthy()
  const requests = texts.map((text) => ({ words: splitWords(text).map((word) => word.text) }))
  const detect = async (group: Array<{ words: string[] }>): Promise<SpanResult[]> => await models.detectSpans(group, { withProbabilities: true })
  const reference = await inGroups(requests, 1, detect)
  expect(reference.reduce((n, result) => n + result.spans.length, 0) > texts.length / 2, 'the models should find spans in these posts').toBeTruthy()
  for (const size of BATCH_SIZES.slice(1)) {
    const results = await inGroups(requests, size, detect)
    results.forEach((result, i) => {
      const expected = reference[i] as SpanResult
      expect(result.spans.map(({ start, end }) => [start, end]), `post ${i} at batch ${size}: ${texts[i]}`).toStrictEqual(expected.spans.map(({ start, end }) => [start, end]))
      expect(maxDifference(result.spans.map((span) => span.score), expected.spans.map((span) => span.score)) <= TOLERANCE, `span scores of post ${i} at batch ${size}`).toBeTruthy()
      const worst = Math.max(0, ...(result.wordProbabilities ?? []).map((row, w) => maxDifference(row, expected.wordProbabilities?.[w] ?? [])))
      expect(worst <= TOLERANCE, `word probabilities of post ${i} at batch ${size} differ by ${worst}`).toBeTruthy()
    })
  }
})

test('stage 2: types and scores do not depend on batch size or batch-mates', async () => {
  const spans = await models.detectSpans(texts.map((text) => ({ words: splitWords(text).map((word) => word.text) })))
  const requests: TypeRequest[] = texts.flatMap((text, i) => {
    const words = splitWords(text).map((word) => word.text)
    return (spans[i]?.spans ?? []).map((span) => ({
      entityWords: words.slice(span.start, span.end),
      sentenceWords: words.slice(0, 64),
      knowledge: i % 3 === 0 ? 'a project-written knowledge line so prompts differ in length' : '',
      imageText: '',
      objectLabels: i % 4 === 0 ? ['person', 'a sign'] : []
    }))
  })
  expect(requests.length >= 150, `expected many candidates, got ${requests.length}`).toBeTruthy()
  const recognise = async (group: TypeRequest[]): Promise<TypeResult[]> => await models.recogniseTypes(group)
  const reference = await inGroups(requests, 1, recognise)
  for (const size of BATCH_SIZES.slice(1)) {
    const results = await inGroups(requests, size, recognise)
    results.forEach((result, i) => {
      const expected = reference[i] as TypeResult
      expect(result.label, `candidate ${i} at batch ${size}: ${requests[i]?.entityWords.join(' ')}`).toBe(expected.label)
      const worst = maxDifference(result.scores, expected.scores)
      expect(worst <= TOLERANCE, `type scores of candidate ${i} at batch ${size} differ by ${worst}`).toBeTruthy()
    })
  }
})
