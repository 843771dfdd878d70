// loadWordTokenizer on a SentencePiece-style (Unigram) vocabulary whose special
// tokens are not BERT's, as the e5 stage 1 ships: the names come from the
// model manifest, a missing one is an error naming it, and the serving
// normaliser (controls dropped, space-likes to spaces, NFKC) applies per word.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { GroundstreamError } from '../../src/errors/index.js'
import { loadWordTokenizer } from '../../src/stages/tokenizer.js'

const PIECES: Array<[string, number]> = [
  ['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0],
  ['▁', -2], ['a', -3], ['b', -3], ['c', -3], ['é', -3], ['▁ab', -1], ['▁a', -2], ['bc', -2.5], ['<mask>', 0]
]

const UNIGRAM = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer: {
    type: 'Sequence',
    normalizers: [
      { type: 'Replace', pattern: { Regex: '[\u0001-\u0008]' }, content: '' },
      { type: 'Replace', pattern: { Regex: '[\t\n\u00a0]' }, content: ' ' },
      { type: 'NFKC' },
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }
    ]
  },
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
  post_processor: null,
  decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
  model: { type: 'Unigram', unk_id: 3, vocab: PIECES, byte_fallback: false }
}

const E5_NAMES = { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' }
let dir: string
let file: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gs-unigram-'))
  file = path.join(dir, 'tokenizer.json')
  await writeFile(file, JSON.stringify(UNIGRAM))
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ unk_token: '<unk>', cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', mask_token: '<mask>' }))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('special token ids come from the names the manifest gives', async () => {
  const tokenizer = await loadWordTokenizer(file, E5_NAMES)
  expect(
    { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, unk: tokenizer.unkId, mask: tokenizer.maskId, obj: tokenizer.objId }
  ).toStrictEqual(
    { cls: 0, sep: 2, pad: 1, unk: 3, mask: 12, obj: 3 }
  )
})

test('each word is segmented alone with the best-scoring pieces, after the normaliser', async () => {
  const tokenizer = await loadWordTokenizer(file, E5_NAMES)
  expect([...tokenizer.encodeWord('ab')]).toStrictEqual([9])
  expect([...tokenizer.encodeWord('abc')]).toStrictEqual([9, 7])
  expect([...tokenizer.encodeWord('abbc')]).toStrictEqual([9, 11])
  expect([...tokenizer.encodeWord('ａｂ')], 'full-width letters are NFKC-normalised').toStrictEqual([9])
  expect([...tokenizer.encodeWord('a\u0003b')], 'control characters are dropped').toStrictEqual([9])
  expect([...tokenizer.encodeWord('e\u0301')], 'a decomposed accent is composed (NFKC)').toStrictEqual([4, 8])
  expect([...tokenizer.encodeWord('z')], 'a character outside the vocabulary is <unk>').toStrictEqual([4, 3])
})

test('a special token the vocabulary lacks is GS_ERR_MODEL_INVALID naming it', async () => {
  await assert.rejects(loadWordTokenizer(file), (error) => {
    assert.ok(error instanceof GroundstreamError)
    expect(error.code).toBe('GS_ERR_MODEL_INVALID')
    expect(error.message).toMatch(/\[UNK\]/)
    return true
  })
  await expect(loadWordTokenizer(file, { ...E5_NAMES, obj: '<obj>' })).rejects.toThrow(/<obj>/)
})
