// The image models behind one facade: object detector (CenterNet, COCO-80),
// text detector + recogniser (PP-OCRv4) and the sentence encoder used to order
// regions. All inference goes through onnxruntime-node, whose run() blocks its
// thread: the stage calls this only from worker threads (worker.ts); tests may
// call it directly.
import type * as ort from 'onnxruntime-node'
import type { ImageRegion } from '../contracts/index.js'
import type { ExecutionProvider } from '../runtime/index.js'
import type { DetectorConfig, EmbedderConfig, OcrConfig } from './config.js'
import { detect, loadDetector, type DetectorModel } from './detector.js'
import { embed, loadEmbedder, type EmbedderModel } from './embedder.js'
import { loadOcr, ocr, type OcrModel, type TextReadingStats } from './ocr.js'
import type { RgbImage, SessionSettings } from './sessions.js'

export type { RgbImage } from './sessions.js'
export { ctcDecode, dbBoxes, type TextReadingStats } from './ocr.js'

export interface EngineConfig {
  detector: DetectorConfig
  ocr: OcrConfig
  embedder: EmbedderConfig
  intraOpThreads: number
  /** `cpu` when absent; `auto` uses CUDA when onnxruntime-node's CUDA provider is installed. */
  executionProvider?: ExecutionProvider
}

export interface ImageEngine {
  detectObjects (image: RgbImage): Promise<ImageRegion[]>
  /** One detector run over several images (the graph takes any batch size). */
  detectObjectsBatch (images: readonly RgbImage[]): Promise<ImageRegion[][]>
  /**
   * Text lines (OCR) in reading order. `limit`: how many text regions the
   * caller can use at most (textSlots() of analyse.ts); lines that could not
   * be among the best `limit` are then not recognised. Absent: every line.
   */
  readText (image: RgbImage, limit?: number): Promise<ImageRegion[]>
  /** OCR's counters and time since the engine started. */
  textStats (): Readonly<TextReadingStats>
  /** L2-normalised sentence embeddings (empty array when the embedder is disabled). */
  embed (texts: readonly string[]): Promise<Float32Array[]>
  readonly embedderEnabled: boolean
  dispose (): Promise<void>
}

export async function createImageEngine (config: EngineConfig): Promise<ImageEngine> {
  const threads: SessionSettings = { threads: config.intraOpThreads, provider: config.executionProvider ?? 'cpu' }
  // Settle every load before deciding: a session still being created when the
  // worker is torn down aborts the process inside onnxruntime's native code.
  const [detectorResult, ocrResult, embedderResult] = await Promise.allSettled([
    loadDetector(config.detector, threads),
    config.ocr.enabled ? loadOcr(config.ocr, threads) : Promise.resolve(null),
    config.embedder.enabled ? loadEmbedder(config.embedder, threads) : Promise.resolve(null)
  ])
  const failed = [detectorResult, ocrResult, embedderResult].find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) {
    const loaded = [
      detectorResult.status === 'fulfilled' ? detectorResult.value.session : null,
      ocrResult.status === 'fulfilled' ? ocrResult.value?.det : null,
      ocrResult.status === 'fulfilled' ? ocrResult.value?.rec : null,
      embedderResult.status === 'fulfilled' ? embedderResult.value?.session : null
    ].filter((x): x is ort.InferenceSession => x !== null && x !== undefined)
    await Promise.allSettled(loaded.map(async (session) => { await session.release() }))
    throw failed.reason
  }
  const detector = (detectorResult as PromiseFulfilledResult<DetectorModel>).value
  const ocrModel = (ocrResult as PromiseFulfilledResult<OcrModel | null>).value
  const embedder = (embedderResult as PromiseFulfilledResult<EmbedderModel | null>).value
  let disposed = false
  const textStats: TextReadingStats = { images: 0, linesDetected: 0, linesRecognised: 0, detectMs: 0, recogniseMs: 0 }
  return Object.freeze({
    embedderEnabled: embedder !== null,
    detectObjects: async (image: RgbImage) => (await detect(detector, config.detector, [image]))[0] as ImageRegion[],
    detectObjectsBatch: async (images: readonly RgbImage[]) => await detect(detector, config.detector, images),
    readText: async (image: RgbImage, limit?: number) => ocrModel === null ? [] : await ocr(ocrModel, config.ocr, image, textStats, limit),
    textStats: () => ({ ...textStats }),
    embed: async (texts: readonly string[]) => embedder === null ? [] : await embed(embedder, texts),
    async dispose (): Promise<void> {
      if (disposed) return
      disposed = true
      const sessions = [detector.session, ocrModel?.det, ocrModel?.rec, embedder?.session].filter((s): s is ort.InferenceSession => s !== undefined)
      await Promise.all(sessions.map(async (s) => { await s.release() }))
    }
  })
}
