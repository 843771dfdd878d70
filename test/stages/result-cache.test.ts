// The result cache answers repeated inputs without the models and gives
// exactly what the models give (they are batch-invariant), on the shipped
// models in-process; a counting wrapper records what reached them.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTextModels, splitWords, TextModelsConfigSchema, withResultCache, type SpanRequest, type TextModels, type TypeRequest } from '../../src/stages/index.js'
import { repoPath } from '../support/paths.js'

let engine: TextModels
const seen = { spans: [] as number[], types: [] as number[] }

/** The real engine, counting how many inputs each call hands it. */
function counting (models: TextModels): TextModels {
  return {
    info: models.info,
    detectSpans: async (requests, options) => { seen.spans.push(requests.length); return await models.detectSpans(requests, options) },
    recogniseSet: async (requests) => await models.recogniseSet(requests),
    recogniseTypes: async (requests) => { seen.types.push(requests.length); return await models.recogniseTypes(requests) },
    close: async () => {}
  }
}

const texts = ['RT @nasa_news : NASA and SpaceX confirm the launch window from Florida', 'Tried the new iPhone at McDonald\'s in Zürich today', 'lunch with Angela Merkel in Berlin']
const words = (text: string): string[] => splitWords(text).map((word) => word.text)
const prompt = (entity: string[], sentence: string, knowledge = ''): TypeRequest => ({ entityWords: entity, sentenceWords: words(sentence), knowledge, imageText: '', objectLabels: [] })

beforeAll(async () => {
  engine = await createTextModels(TextModelsConfigSchema.parse({ modelsDir: repoPath('models') }), { inProcess: true })
})

afterAll(async () => {
  await engine.close()
})

test('repeated posts and prompts are answered from the cache, with the models\' own answers', async () => {
  seen.spans.length = 0
  seen.types.length = 0
  const { models, stats } = withResultCache(counting(engine), { maxBytes: 1 << 20 })
  const first: SpanRequest[] = texts.map((text) => ({ words: words(text) }))
  // the second batch repeats two posts (one with different spacing: the same words) and one inside the batch
  const second: SpanRequest[] = [{ words: words(texts[0] as string) }, { words: words('lunch  with Angela Merkel in   Berlin') }, { words: words('a new post') }, { words: words('a new post') }]
  const fresh = await engine.detectSpans([...first, ...second], { withProbabilities: true })
  const cachedFirst = await models.detectSpans(first, { withProbabilities: true })
  const cachedSecond = await models.detectSpans(second, { withProbabilities: true })
  expect([...cachedFirst, ...cachedSecond]).toStrictEqual(fresh)
  expect(seen.spans).toStrictEqual([3, 1]) // only "a new post", once
  // without probabilities is another answer, not served from the entries above
  await models.detectSpans(first)
  expect(seen.spans).toStrictEqual([3, 1, 3])

  const prompts = [prompt(['NASA'], texts[0] as string), prompt(['Angela', 'Merkel'], texts[2] as string, 'Angela Merkel is a German politician.')]
  const again = [prompts[1] as TypeRequest, prompt(['Angela', 'Merkel'], texts[2] as string)] // same words, no knowledge: a different prompt
  const typed = [...await models.recogniseTypes(prompts), ...await models.recogniseTypes(again)]
  expect(typed).toStrictEqual(await engine.recogniseTypes([...prompts, ...again]))
  expect(seen.types).toStrictEqual([2, 1])
  expect(stats()).toStrictEqual({ stage1: { hits: 3, misses: 7 }, stage2: { hits: 1, misses: 3 } })
})

test('an answer handed out is a copy: changing it does not change the cache', async () => {
  const { models } = withResultCache(engine, { maxBytes: 1 << 20 })
  const request = [{ words: words(texts[2] as string) }]
  const one = await models.detectSpans(request)
  const expected = structuredClone(one)
  ;(one[0]?.spans ?? []).splice(0)
  expect(await models.detectSpans(request)).toStrictEqual(expected)
})

test('concurrent calls share an input in flight; a failed call fails its waiters and caches nothing', async () => {
  seen.spans.length = 0
  const { models, stats } = withResultCache(counting(engine), { maxBytes: 1 << 20 })
  const request = [{ words: words(texts[1] as string) }]
  const [a, b] = await Promise.all([models.detectSpans(request), models.detectSpans(request)])
  expect(a).toStrictEqual(b)
  expect(seen.spans).toStrictEqual([1])
  expect(stats().stage1).toStrictEqual({ hits: 1, misses: 1 })

  let calls = 0
  const failing: TextModels = { ...engine, detectSpans: async () => { calls++; throw new Error('model crashed') } }
  const broken = withResultCache(failing, { maxBytes: 1 << 20 }).models
  const results = await Promise.allSettled([broken.detectSpans(request), broken.detectSpans(request)])
  expect(results.map((r) => r.status)).toStrictEqual(['rejected', 'rejected'])
  await expect(broken.detectSpans(request)).rejects.toThrow(/model crashed/)
  expect(calls).toBe(2) // the shared failure was not cached: the next call tried again
})

test('the cache stays within maxBytes and is off at 0', async () => {
  seen.spans.length = 0
  const tiny = withResultCache(counting(engine), { maxBytes: 1 }) // no entry fits
  await tiny.models.detectSpans([{ words: words(texts[0] as string) }])
  await tiny.models.detectSpans([{ words: words(texts[0] as string) }])
  expect(seen.spans).toStrictEqual([1, 1])
  const off = withResultCache(engine, { maxBytes: 0 })
  expect(off.models).toBe(engine)
})
