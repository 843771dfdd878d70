// Loading models from explicit local paths, once for text, image and
// knowledge code: ONNX Runtime sessions on the configured execution provider,
// JSON files beside them, and WordPiece tokenizers. Every rule is the same for
// every caller: a missing file is GS_ERR_MODEL_MISSING and a broken one
// GS_ERR_MODEL_INVALID, both naming the path; tokenizer_config.json may be
// absent (BERT defaults stand in) but never broken. Nothing is downloaded.
import { existsSync } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PreTrainedTokenizer } from '@huggingface/transformers'
import * as ort from 'onnxruntime-node'
import { GroundstreamError, wrapError } from '../errors/index.js'

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

/** Throws GS_ERR_MODEL_MISSING naming the file when it is not there. */
export async function mustExist (file: string, what: string): Promise<void> {
  try {
    await access(file)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `${what} not found: ${file}`, { cause: error, details: { path: file } })
  }
}

/** A JSON object from a model folder: missing is GS_ERR_MODEL_MISSING, unparseable GS_ERR_MODEL_INVALID, both naming the file. */
export async function readJsonFile (file: string, what: string): Promise<Record<string, unknown>> {
  await mustExist(file, what)
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `${what} not readable: ${file}`, { cause: error, details: { path: file } })
  }
  try {
    return JSON.parse(raw) as Record<string, unknown>
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `${what} is not valid JSON: ${file}: ${(error as Error).message}`, { cause: error, details: { path: file } })
  }
}

/** Special tokens of the BERT uncased vocabulary all our encoders use; tokenizer_config.json overrides them. */
const BERT_SPECIAL_TOKENS = Object.freeze({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' })

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
    return new PreTrainedTokenizer(tokenizerJson, { ...BERT_SPECIAL_TOKENS, ...config })
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

