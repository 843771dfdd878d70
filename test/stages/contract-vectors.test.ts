// The TypeScript serving path against the vectors the Python trainer wrote
// (training/make_contract_vectors.py): same words, shapes, sub-tokens, model
// inputs, and the same predictions from the same exported models.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { softmax } from '../../src/stages/decoding.js'
import { encodeStage1, encodeStage2 } from '../../src/stages/encoding.js'
import { createTextModels, TextModelsConfigSchema, type TextModels } from '../../src/stages/index.js'
import { loadModelFiles } from '../../src/stages/onnx.js'
import { loadModelTokenizer, type WordTokenizer } from '../../src/stages/tokenizer.js'
import { splitWords, wordShape } from '../../src/stages/words.js'
import { ROOT } from '../support/paths.js'

interface Vectors {
  special_ids: Record<'stage1' | 'stage2', Record<'cls' | 'sep' | 'pad' | 'unk' | 'mask' | 'obj', number>>
  models: { stage1: { version: string, max_length: number }, stage2: { version: string, max_length: number, labels: string[] } }
  sentences: Array<{
    id: string
    text: string
    words: Array<{ text: string, start_utf16: number, end_utf16: number }>
    word_shapes: number[]
    word_subtokens: number[][]
    stage1: { input_ids: number[], shape_ids: number[], first_subtoken: number[] }
    int8_prediction: {
      spans: Array<{ start: number, end: number, score: number }>
      entities: Array<{ start: number, end: number, type: string, type_prob: number }>
    }
  }>
  stage2_prompts: Array<{
    sentence: number
    entity_words: string[]
    knowledge?: string
    image_text?: string
    objects?: string[]
    input_ids: number[]
    shape_ids: number[]
    mask_index: number
    obj_index: number[]
  }>
  fp32_raw: Record<string, { stage1_logits?: number[][], type_logits?: number[], obj_scores?: number[] }>
}

const vectors = JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', 'model-contract-vectors.json'), 'utf8')) as Vectors
const manifestVersion = (stage: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'models', stage, 'manifest.json'), 'utf8')) as { version: string }).version

/** Each stage's tokenizer as the service loads it: the file and special tokens its manifest names. */
async function stageTokenizer (stage: 'stage1' | 'stage2'): Promise<WordTokenizer> {
  return await loadModelTokenizer(await loadModelFiles(path.join(ROOT, 'models', stage), 'int8'))
}

let tokenizer: WordTokenizer
let tokenizer2: WordTokenizer
let int8: TextModels
let fp32: TextModels | null = null

beforeAll(async () => {
  tokenizer = await stageTokenizer('stage1')
  tokenizer2 = await stageTokenizer('stage2')
  // The int8 models are batch-invariant (test/stages/batch-invariance.test.ts),
  // so the service's default batching is compared with one-sequence vectors.
  int8 = await createTextModels(TextModelsConfigSchema.parse({ modelsDir: path.join(ROOT, 'models') }), { inProcess: true })
  try {
    fp32 = await createTextModels(TextModelsConfigSchema.parse({ modelsDir: path.join(ROOT, 'models'), precision: 'fp32' }), { inProcess: true })
  } catch {
    fp32 = null // fp32 files are not committed; they exist after scripts/train.sh
  }
})

afterAll(async () => {
  await int8.close()
  await fp32?.close()
})

test('vectors were written from the committed models', () => {
  expect(vectors.models.stage1.version, 'regenerate with training/make_contract_vectors.py').toBe(manifestVersion('stage1'))
  expect(vectors.models.stage2.version, 'regenerate with training/make_contract_vectors.py').toBe(manifestVersion('stage2'))
})

test('special token ids match, for each stage\'s tokenizer', () => {
  const ids = (t: WordTokenizer): Record<string, number> => ({ cls: t.clsId, sep: t.sepId, pad: t.padId, unk: t.unkId, mask: t.maskId, obj: t.objId })
  expect({ stage1: ids(tokenizer), stage2: ids(tokenizer2) }).toStrictEqual(vectors.special_ids)
})

test('words, offsets, shapes and sub-tokens match the trainer', () => {
  for (const sentence of vectors.sentences) {
    const words = splitWords(sentence.text)
    expect(words.map((word) => [word.text, word.start, word.end]), sentence.id).toStrictEqual(sentence.words.map((word) => [word.text, word.start_utf16, word.end_utf16]))
    expect(words.map((word) => wordShape(word.text)), sentence.id).toStrictEqual(sentence.word_shapes)
    expect(words.map((word) => [...tokenizer.encodeWord(word.text)]), sentence.id).toStrictEqual(sentence.word_subtokens)
  }
})

test('stage-1 inputs match, including the whole-word cut of a long post', () => {
  for (const sentence of vectors.sentences) {
    const encoding = encodeStage1(sentence.words.map((word) => word.text), tokenizer, vectors.models.stage1.max_length)
    expect(encoding.ids, sentence.id).toStrictEqual(sentence.stage1.input_ids)
    expect(encoding.shapes, sentence.id).toStrictEqual(sentence.stage1.shape_ids)
    expect(encoding.firstSubtoken, sentence.id).toStrictEqual(sentence.stage1.first_subtoken)
  }
})

test('stage-2 prompts match, including budgets and overflow trimming', () => {
  vectors.stage2_prompts.forEach((prompt, i) => {
    const sentence = vectors.sentences[prompt.sentence]
    assert.ok(sentence !== undefined)
    const encoding = encodeStage2({
      entityWords: prompt.entity_words,
      sentenceWords: sentence.words.map((word) => word.text),
      knowledge: prompt.knowledge ?? '',
      imageText: prompt.image_text ?? '',
      objectLabels: prompt.objects ?? []
    }, tokenizer2, vectors.models.stage2.max_length)
    expect(encoding.ids, `prompt ${i}`).toStrictEqual(prompt.input_ids)
    expect(encoding.shapes, `prompt ${i}`).toStrictEqual(prompt.shape_ids)
    expect(encoding.maskIndex, `prompt ${i}`).toBe(prompt.mask_index)
    const padded = [...encoding.objIndex, ...new Array(prompt.obj_index.length - encoding.objIndex.length).fill(0)]
    expect(padded, `prompt ${i}`).toStrictEqual(prompt.obj_index)
  })
})

test('the int8 models give the same spans and types through onnxruntime-node', async () => {
  const words = vectors.sentences.map((sentence) => sentence.words.map((word) => word.text))
  const spans = await int8.detectSpans(words.map((w) => ({ words: w })))
  vectors.sentences.forEach((sentence, i) => {
    const ours = spans[i]?.spans ?? []
    expect(ours.map((span) => [span.start, span.end]), sentence.id).toStrictEqual(sentence.int8_prediction.spans.map((span) => [span.start, span.end]))
    ours.forEach((span, j) => expect(Math.abs(span.score - (sentence.int8_prediction.spans[j]?.score ?? NaN)) < 2e-3, `${sentence.id} span score`).toBeTruthy())
  })
  const requests = vectors.sentences.flatMap((sentence, i) => sentence.int8_prediction.entities.map((entity) => ({
    entityWords: (words[i] as string[]).slice(entity.start, entity.end),
    sentenceWords: words[i] as string[],
    knowledge: '',
    imageText: '',
    objectLabels: []
  })))
  const expected = vectors.sentences.flatMap((sentence) => sentence.int8_prediction.entities)
  expect(expected.length >= 5, 'the vectors should exercise stage 2 on real predictions').toBeTruthy()
  const types = await int8.recogniseTypes(requests)
  types.forEach((result, i) => {
    expect(result.label).toBe(expected[i]?.type)
    expect(Math.abs(Math.max(...result.scores) - (expected[i]?.type_prob ?? NaN)) < 2e-3).toBeTruthy()
  })
})

test('fp32 logits agree with the trainer within 1e-4', async (t) => {
  if (fp32 === null) {
    t.skip('fp32 models not present (run scripts/train.sh to produce them)')
    return
  }
  for (const [key, raw] of Object.entries(vectors.fp32_raw)) {
    if (raw.stage1_logits === undefined) continue
    const sentence = vectors.sentences.find((candidate) => candidate.id === key)
    assert.ok(sentence !== undefined)
    const [result] = await fp32.detectSpans([{ words: sentence.words.map((word) => word.text) }], { withProbabilities: true })
    sentence.stage1.first_subtoken.forEach((position, w) => {
      if (position < 0) return
      const expected = softmax(raw.stage1_logits?.[position] ?? [])
      const ours = result?.wordProbabilities?.[w] ?? []
      expected.forEach((p, k) => expect(Math.abs(p - (ours[k] ?? NaN)) < 1e-4, `${key} word ${w}`).toBeTruthy())
    })
  }
})
