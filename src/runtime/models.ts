// Loading models from explicit local paths, once for text, image and
// knowledge code: ONNX Runtime sessions on the configured execution provider,
// JSON files beside them, and WordPiece tokenizers. Every rule is the same for
// every caller: a missing file is GS_ERR_MODEL_MISSING and a broken one
// GS_ERR_MODEL_INVALID, both naming the path; tokenizer_config.json may be
// absent (BERT defaults stand in) but never broken. Nothing is downloaded.
import { existsSync } from 'node:fs'
import { access } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PreTrainedTokenizer } from '@huggingface/transformers'
import * as ort from 'onnxruntime-node'
import { wrapError } from '../errors/index.js'
import { readJsonFile } from '../shared/index.js'

export type ExecutionProvider = 'auto' | 'cpu' | 'cuda'

export interface SessionOptions {
  executionProvider: ExecutionProvider
  intraOpThreads: number
  interOpThreads: number
  /**
   * Whether idle intra-op threads busy-wait for the next run. ONNX Runtime
   * spins by default; on a few shared cores the spinning threads take CPU
   * from the event loop, the other worker and the next batch's tokenisation.
   */
  allowSpinning?: boolean
}

export interface LoadedSession {
  session: ort.InferenceSession
  /** The provider that really runs the graph (`auto` resolved). */
  provider: 'cpu' | 'cuda'
  file: string
}

/** Special tokens of the BERT uncased vocabulary; a model manifest's `special_tokens` or tokenizer_config.json names others. */
export const BERT_SPECIAL_TOKENS = Object.freeze({ cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' })

/** The same, under the names of tokenizer_config.json. */
const BERT_TOKENIZER_CONFIG = Object.freeze({ unk_token: BERT_SPECIAL_TOKENS.unk, sep_token: BERT_SPECIAL_TOKENS.sep, pad_token: BERT_SPECIAL_TOKENS.pad, cls_token: BERT_SPECIAL_TOKENS.cls, mask_token: BERT_SPECIAL_TOKENS.mask })

/**
 * A WordPiece tokenizer from `tokenizer.json` and, when present, the
 * `tokenizer_config.json` beside it (absent: BERT defaults; present but
 * broken: an error, never a silent default).
 */
export async function loadTokenizer (tokenizerJsonPath: string, what = 'tokenizer file'): Promise<PreTrainedTokenizer> {
  const tokenizerJson = await readJsonFile(tokenizerJsonPath, what)
  const configPath = path.join(path.dirname(tokenizerJsonPath), 'tokenizer_config.json')
  let config: Record<string, unknown> = {}
  try {
    await access(configPath)
    config = await readJsonFile(configPath, `${what} config`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  try {
    return new PreTrainedTokenizer(tokenizerJson, { ...BERT_TOKENIZER_CONFIG, ...config })
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `cannot build tokenizer from ${tokenizerJsonPath}`, error)
  }
}

function baseOptions (options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: options.interOpThreads,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning === true ? '1' : '0' }, inter_op: { allow_spinning: options.allowSpinning === true ? '1' : '0' } } }
  }
}

/**
 * The CUDA provider is a separate library that onnxruntime-node's install
 * script downloads; offline installs skip it. Looking for it first keeps `auto`
 * from logging a load failure on every CPU-only machine.
 */
function cudaProviderInstalled (): boolean {
  const require = createRequire(import.meta.url)
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'))
  const binaryDir = path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch)
  return existsSync(path.join(binaryDir, 'libonnxruntime_providers_cuda.so'))
}

/**
 * Creates a session on the configured provider. `auto` tries CUDA first and
 * falls back to CPU when the CUDA provider is not installed or no GPU answers.
 */
export async function createSession (file: string, options: SessionOptions): Promise<LoadedSession> {
  const wantsCuda = options.executionProvider === 'cuda' || (options.executionProvider === 'auto' && cudaProviderInstalled())
  if (wantsCuda) {
    try {
      const session = await ort.InferenceSession.create(file, { ...baseOptions(options), executionProviders: ['cuda'] })
      return { session, provider: 'cuda', file }
    } catch (error) {
      if (options.executionProvider === 'cuda') throw wrapError('GS_ERR_INFERENCE', `cannot create CUDA session for ${file}`, error)
    }
  }
  try {
    const session = await ort.InferenceSession.create(file, { ...baseOptions(options), executionProviders: ['cpu'] })
    return { session, provider: 'cpu', file }
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `cannot create ONNX Runtime session for ${file}`, error)
  }
}

