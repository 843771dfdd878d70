// The text models through the service's own path (worker thread, int8 ONNX).
import assert from 'node:assert/strict'
import { afterAll, beforeAll, expect, test } from 'vitest'
import path from 'node:path'
import type { Post } from '../../src/contracts/index.js'
import { newPostWork } from '../../src/consumers/index.js'
import { isGroundstreamError } from '../../src/errors/index.js'
import type { PostWork } from '../../src/pipeline/types.js'
import { createTextModels, createTextStages, TextModelsConfigSchema, type TextStages } from '../../src/stages/index.js'
import { repoPath } from '../support/paths.js'

const MODELS_DIR = repoPath('models')

function work (text: string, id = 'p1'): PostWork {
  const post: Post = { id, text, created_at: '2026-11-21T08:00:00Z', image_urls: [] }
  return newPostWork(post, { topic: 't', partition: 0, offset: '0' })
}

let stages: TextStages

beforeAll(async () => {
  stages = await createTextStages(TextModelsConfigSchema.parse({ modelsDir: MODELS_DIR, minSpanScore: 0 }), { ground: () => null })
})

afterAll(async () => {
  await stages.close()
})

test('worker reports the models it loaded and the provider it runs on', () => {
  expect(stages.models.info.stage1.provider).toBe('cpu')
  expect(stages.models.info.stage1.maxLength).toBe(128)
  expect(stages.models.info.stage2.maxLength).toBe(192)
  expect(stages.models.info.stage1.file).toMatch(/model\.int8\.onnx$/)
})

test('bad input has defined behaviour: empty, huge, odd Unicode, emoji, right-to-left', async () => {
  const texts = [
    '',
    '   ',
    'word '.repeat(20_000).trim() + ' Paris',
    '\u0000\u0007\u200b\ufeff\ud800 lone surrogate',
    '😀😀 🇫🇷 👩‍👩‍👧 #️⃣',
    'שלום עולם from Tel Aviv مرحبا',
    'x'.repeat(100_000)
  ]
  const batch = texts.map((text, i) => work(text, `p${i}`))
  const afterStage1 = await stages.stage1.run(batch)
  const afterStage2 = await stages.stage2.run(afterStage1)
  expect(afterStage2.length).toBe(texts.length)
  for (const item of afterStage2) {
    expect(item.candidates.every((record) => record.knowledge !== undefined)).toBeTruthy()
    for (const { candidate } of item.candidates) {
      expect(candidate.start >= 0 && candidate.end <= item.post.text.length && candidate.start < candidate.end).toBeTruthy()
      expect(item.post.text.slice(candidate.start, candidate.end)).toBe(candidate.text)
    }
    for (const entity of item.entities) expect(['PER', 'LOC', 'ORG', 'OTHER'].includes(entity.type)).toBeTruthy()
  }
  expect(afterStage2[0]?.candidates).toStrictEqual([])
  expect(afterStage2[1]?.candidates).toStrictEqual([])
})

test('a missing model folder is a coded error naming the path', async () => {
  const config = TextModelsConfigSchema.parse({ modelsDir: path.join(MODELS_DIR, 'does-not-exist') })
  await assert.rejects(createTextModels(config), (error: unknown) =>
    isGroundstreamError(error, 'GS_ERR_MODEL_MISSING') && error.message.includes('does-not-exist'))
  await assert.rejects(createTextModels(config, { inProcess: true }), (error: unknown) => isGroundstreamError(error, 'GS_ERR_MODEL_MISSING'))
})
