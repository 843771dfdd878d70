// ONNX Runtime sessions and model manifests, loaded from explicit local paths.
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { ModelManifestSchema, type ModelManifest } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { mustExist, readManifest } from '../runtime/index.js'

export interface LoadedModel {
  manifest: ModelManifest
  dir: string
  modelFile: string
  tokenizerFile: string
}

/** Reads and validates `<dir>/manifest.json` and checks that the files it names exist. */
export async function loadModelFiles (dir: string, precision: 'int8' | 'fp32'): Promise<LoadedModel> {
  const { manifest, file: manifestFile } = await readManifest(dir, ModelManifestSchema, 'model manifest')
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
