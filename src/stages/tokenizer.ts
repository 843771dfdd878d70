// Word-level access to an encoder's tokenizer (BERT WordPiece, or the
// SentencePiece Unigram of the e5 stage 1), loaded from an explicit local
// tokenizer.json (never from a hub). Each word is tokenised on its own, as
// docs/model-contract.md requires, so sub-tokens map back to words.
import type { PreTrainedTokenizer } from '@huggingface/transformers'
import type { ModelManifest } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { BERT_SPECIAL_TOKENS, loadTokenizer } from '../runtime/index.js'
import type { LoadedModel } from './onnx.js'

export interface WordTokenizer {
  readonly clsId: number
  readonly sepId: number
  readonly padId: number
  readonly maskId: number
  readonly unkId: number
  /** The `<obj>` marker of the stage-2 prompt (BERT: the vocabulary token `[unused1]`). */
  readonly objId: number
  /** Sub-token ids of one word; never empty (falls back to `[UNK]`). */
  encodeWord (word: string): readonly number[]
  /** Sub-token ids of free text (knowledge, image text, labels); may be empty. */
  encodeText (text: string): number[]
}

/** Names of the special tokens in the vocabulary: a model manifest's `special_tokens` (obj absent: the unknown token). */
export type SpecialTokens = NonNullable<ModelManifest['special_tokens']>

/** BERT's, with the stage-2 `<obj>` marker as the vocabulary token `[unused1]`. */
const DEFAULT_SPECIAL_TOKENS: Readonly<SpecialTokens> = Object.freeze({ ...BERT_SPECIAL_TOKENS, obj: '[unused1]' })

/** Words repeat a lot in a firehose; remember recent ones, bounded. */
const WORD_CACHE_LIMIT = 50_000

function requireTokenId (tokenizer: PreTrainedTokenizer, token: string, file: string): number {
  const id = tokenizer.convert_tokens_to_ids(token) as number | undefined | null
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `tokenizer ${file} has no token ${token}`, { details: { path: file, token } })
  }
  return id
}

/**
 * Loads `tokenizer.json` (and `tokenizer_config.json` beside it, when present).
 * `specials` names the special tokens (default BERT's); each must be in the
 * vocabulary.
 */
export async function loadWordTokenizer (tokenizerJsonPath: string, specials: Readonly<SpecialTokens> = DEFAULT_SPECIAL_TOKENS): Promise<WordTokenizer> {
  const tokenizer = await loadTokenizer(tokenizerJsonPath)
  const unkId = requireTokenId(tokenizer, specials.unk, tokenizerJsonPath)
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
    clsId: requireTokenId(tokenizer, specials.cls, tokenizerJsonPath),
    sepId: requireTokenId(tokenizer, specials.sep, tokenizerJsonPath),
    padId: requireTokenId(tokenizer, specials.pad, tokenizerJsonPath),
    maskId: requireTokenId(tokenizer, specials.mask, tokenizerJsonPath),
    unkId,
    objId: specials.obj === undefined ? unkId : requireTokenId(tokenizer, specials.obj, tokenizerJsonPath),
    encodeWord,
    encodeText
  })
}

/** A model folder's tokenizer as its manifest names it: the file and, when given, the special tokens. */
export async function loadModelTokenizer (model: LoadedModel): Promise<WordTokenizer> {
  return await loadWordTokenizer(model.tokenizerFile, model.manifest.special_tokens)
}
