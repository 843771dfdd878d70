// Word-level access to the encoder's WordPiece tokenizer, loaded from an
// explicit local tokenizer.json (never from a hub). Each word is tokenised on
// its own, as docs/model-contract.md requires, so sub-tokens map back to words.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { PreTrainedTokenizer } from '@huggingface/transformers'
import { GroundstreamError, isGroundstreamError, wrapError } from '../errors/index.js'

export interface WordTokenizer {
  readonly clsId: number
  readonly sepId: number
  readonly padId: number
  readonly maskId: number
  readonly unkId: number
  /** The `<obj>` marker of the stage-2 prompt: the vocabulary token `[unused1]`. */
  readonly objId: number
  /** Sub-token ids of one word; never empty (falls back to `[UNK]`). */
  encodeWord (word: string): readonly number[]
  /** Sub-token ids of free text (knowledge, image text, labels); may be empty. */
  encodeText (text: string): number[]
}

/** Words repeat a lot in a firehose; remember recent ones, bounded. */
const WORD_CACHE_LIMIT = 50_000

async function readJson (file: string): Promise<Record<string, unknown>> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `tokenizer file not found: ${file}`, { cause: error, details: { path: file } })
  }
  try {
    return JSON.parse(raw) as Record<string, unknown>
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `tokenizer file is not valid JSON: ${file}`, error)
  }
}

function requireTokenId (tokenizer: PreTrainedTokenizer, token: string, file: string): number {
  const id = tokenizer.convert_tokens_to_ids(token) as number | undefined | null
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `tokenizer ${file} has no token ${token}`, { details: { path: file, token } })
  }
  return id
}

/**
 * Loads `tokenizer.json` (and `tokenizer_config.json` beside it, when present).
 * Defaults in the config mirror the BERT uncased tokenizer the models use.
 */
export async function loadWordTokenizer (tokenizerJsonPath: string): Promise<WordTokenizer> {
  const tokenizerJson = await readJson(tokenizerJsonPath)
  const configPath = path.join(path.dirname(tokenizerJsonPath), 'tokenizer_config.json')
  // tokenizer_config.json is optional (the defaults below cover BERT), but a
  // present one that does not parse is an error, not a silent default.
  const config = await readJson(configPath).catch((error: unknown) => {
    if (isGroundstreamError(error, 'GS_ERR_MODEL_MISSING')) return {}
    throw error
  })
  const tokenizerConfig = {
    unk_token: '[UNK]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    cls_token: '[CLS]',
    mask_token: '[MASK]',
    ...config
  }
  let tokenizer: PreTrainedTokenizer
  try {
    tokenizer = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig)
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `cannot build tokenizer from ${tokenizerJsonPath}`, error)
  }
  const unkId = requireTokenId(tokenizer, '[UNK]', tokenizerJsonPath)
  const cache = new Map<string, readonly number[]>()

  function encodeWord (word: string): readonly number[] {
    const cached = cache.get(word)
    if (cached !== undefined) return cached
    const ids = tokenizer.encode(word, { add_special_tokens: false })
    const result = Object.freeze(ids.length > 0 ? ids : [unkId])
    if (cache.size >= WORD_CACHE_LIMIT) cache.clear()
    cache.set(word, result)
    return result
  }

  function encodeText (text: string): number[] {
    return text === '' ? [] : tokenizer.encode(text, { add_special_tokens: false })
  }

  return Object.freeze({
    clsId: requireTokenId(tokenizer, '[CLS]', tokenizerJsonPath),
    sepId: requireTokenId(tokenizer, '[SEP]', tokenizerJsonPath),
    padId: requireTokenId(tokenizer, '[PAD]', tokenizerJsonPath),
    maskId: requireTokenId(tokenizer, '[MASK]', tokenizerJsonPath),
    unkId,
    objId: requireTokenId(tokenizer, '[unused1]', tokenizerJsonPath),
    encodeWord,
    encodeText
  })
}
