// How the image models' ONNX sessions are opened and run: the text models'
// provider choice and threads, and errors that name the model.
import * as ort from 'onnxruntime-node'
import { wrapError } from '../errors/index.js'
import { createSession, mustExist, type ExecutionProvider } from '../runtime/index.js'

/** Decoded RGB pixels, 3 bytes per pixel, row-major. */
export interface RgbImage {
  data: Uint8Array
  width: number
  height: number
}

/** How an image model's session runs: intra-op threads and provider. */
export interface SessionSettings {
  threads: number
  provider: ExecutionProvider
}

export async function openSession (file: string, what: string, settings: SessionSettings): Promise<ort.InferenceSession> {
  await mustExist(file, what)
  try {
    // The same provider choice as the text models: `auto` takes CUDA when its provider library is installed.
    return (await createSession(file, { executionProvider: settings.provider, intraOpThreads: settings.threads, interOpThreads: 1 })).session
  } catch (error) {
    throw wrapError('GS_ERR_MODEL_INVALID', `cannot load ${what} ${file}`, error)
  }
}

export async function run (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, what: string): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds)
  } catch (error) {
    throw wrapError('GS_ERR_INFERENCE', `${what} inference failed`, error)
  }
}
