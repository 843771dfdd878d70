// ONNX Runtime sessions and model manifests, loaded from explicit local paths.
import { existsSync } from 'node:fs'
import { readFile, access } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { ModelManifestSchema, type ModelManifest } from '../contracts/index.js'
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

export interface LoadedModel {
  manifest: ModelManifest
  dir: string
  modelFile: string
  tokenizerFile: string
}

async function mustExist (file: string, what: string): Promise<void> {
  try {
    await access(file)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `${what} not found: ${file}`, { cause: error, details: { path: file } })
  }
}

/** Reads and validates `<dir>/manifest.json` and checks that the files it names exist. */
export async function loadModelFiles (dir: string, precision: 'int8' | 'fp32'): Promise<LoadedModel> {
  const manifestFile = path.join(dir, 'manifest.json')
  await mustExist(manifestFile, 'model manifest')
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(manifestFile, 'utf8'))
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `model manifest is not valid JSON: ${manifestFile}`, error)
  }
  const result = ModelManifestSchema.safeParse(parsed)
  if (!result.success) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `model manifest ${manifestFile} is invalid: ${result.error.message}`, { details: { path: manifestFile } })
  }
  const manifest = result.data
  const relative = precision === 'int8' ? manifest.files.int8 : manifest.files.fp32
  if (relative === undefined) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `model manifest ${manifestFile} names no ${precision} file`, { details: { path: manifestFile } })
  }
  const modelFile = path.join(dir, relative)
  const tokenizerFile = path.join(dir, manifest.files.tokenizer)
  await mustExist(modelFile, `${precision} model file`)
  await mustExist(tokenizerFile, 'tokenizer file')
  return { manifest, dir, modelFile, tokenizerFile }
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
export function cudaProviderInstalled (): boolean {
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

/** A `[rows, columns]` int64 tensor from rows of numbers padded with `pad`. */
export function int64Matrix (rows: ReadonlyArray<readonly number[]>, columns: number, pad: number): ort.Tensor {
  const data = new BigInt64Array(rows.length * columns).fill(BigInt(pad))
  rows.forEach((row, r) => {
    for (let c = 0; c < Math.min(row.length, columns); c++) data[r * columns + c] = BigInt(row[c] as number)
  })
  return new ort.Tensor('int64', data, [rows.length, columns])
}

export function int64Vector (values: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (value) => BigInt(value)), [values.length])
}

export function float32Tensor (data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims)
}

export function float32Output (outputs: ort.InferenceSession.ReturnType, name: string): { data: Float32Array, dims: readonly number[] } {
  const tensor = outputs[name]
  if (tensor === undefined || tensor.type !== 'float32') {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `model output ${name} is missing or not float32`)
  }
  return { data: tensor.data as Float32Array, dims: tensor.dims }
}
