import assert from 'node:assert/strict'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { isGroundstreamError } from '../../src/errors/index.js'
import { createImageEngine } from '../../src/images/index.js'
import { loadTokenCounter } from '../../src/knowledge-cache/index.js'
import { loadTokenizer, readJsonFile } from '../../src/runtime/index.js'
import { testConfig } from '../../bench/support/images.js'
import { ROOT } from '../support/paths.js'

const EMBEDDER = path.join(ROOT, 'models', 'embedder')

/** A copy of the embedder folder whose tokenizer_config.json is `config` (or absent when null). */
async function embedderCopy (config: string | null): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-runtime-'))
  for (const file of ['manifest.json', 'model.int8.onnx', 'tokenizer.json']) await copyFile(path.join(EMBEDDER, file), path.join(dir, file))
  if (config !== null) await writeFile(path.join(dir, 'tokenizer_config.json'), config)
  return dir
}

test('a tokenizer loads with BERT defaults when tokenizer_config.json is absent', async () => {
  const dir = await embedderCopy(null)
  try {
    const tokenizer = await loadTokenizer(path.join(dir, 'tokenizer.json'))
    expect(tokenizer.encode('hello world', { add_special_tokens: false }).length >= 2).toBeTruthy()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a missing tokenizer.json is GS_ERR_MODEL_MISSING naming the path', async () => {
  await assert.rejects(loadTokenizer('/nonexistent/tokenizer.json'), (error) => {
    assert.ok(isGroundstreamError(error, 'GS_ERR_MODEL_MISSING'))
    expect(error.message).toMatch(/\/nonexistent\/tokenizer\.json/)
    return true
  })
})

test('a broken tokenizer_config.json is GS_ERR_MODEL_INVALID naming the path, for text, knowledge and image code alike', async () => {
  const dir = await embedderCopy('{ not json')
  const configFile = path.join(dir, 'tokenizer_config.json')
  const broken = (error: unknown): boolean => {
    assert.ok(isGroundstreamError(error, 'GS_ERR_MODEL_INVALID'), String(error))
    expect(error.message.includes(configFile), error.message).toBeTruthy()
    return true
  }
  try {
    await assert.rejects(loadTokenizer(path.join(dir, 'tokenizer.json')), broken)
    await assert.rejects(loadTokenCounter(path.join(dir, 'tokenizer.json')), broken)
    // The image engine used to swallow this and fall back to defaults.
    const images = testConfig({ embedder: { modelDir: dir }, ocr: { enabled: false } })
    await assert.rejects(createImageEngine({ detector: images.detector, ocr: images.ocr, embedder: images.embedder, intraOpThreads: 1 }), broken)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('readJsonFile: missing is MODEL_MISSING, unparseable MODEL_INVALID, both naming the file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-runtime-'))
  try {
    const file = path.join(dir, 'manifest.json')
    await assert.rejects(readJsonFile(file, 'model manifest'), (error) => isGroundstreamError(error, 'GS_ERR_MODEL_MISSING') && error.message.includes(file))
    await writeFile(file, '[')
    await assert.rejects(readJsonFile(file, 'model manifest'), (error) => isGroundstreamError(error, 'GS_ERR_MODEL_INVALID') && error.message.includes(file))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
