// The object detector (CenterNet, COCO-80, converted by
// training/convert_detector.py): its manifest, session and one batched run.
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ImageRegion } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { readManifest } from '../runtime/index.js'
import { clamp01, nonMaxSuppression } from './boxes.js'
import { decodeCenterNet } from './centernet.js'
import type { DetectorConfig } from './config.js'
import { DetectorManifestSchema, detectorFile } from './manifests.js'
import { resizeBilinearRgb } from './raster.js'
import { openSession, run, type RgbImage, type SessionSettings } from './sessions.js'

export interface DetectorModel {
  session: ort.InferenceSession
  inputName: string
  keypointsName: string
  whName: string
  size: number
  labels: string[]
}

export async function loadDetector (config: DetectorConfig, threads: SessionSettings): Promise<DetectorModel> {
  const { manifest, file: manifestFile } = await readManifest(config.modelDir, DetectorManifestSchema, 'detector manifest')
  const file = detectorFile(manifest, config.precision)
  if (file === undefined) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `detector manifest ${manifestFile} names no ${config.precision} file (images.detector.precision)`, { details: { path: manifestFile } })
  }
  const session = await openSession(path.join(config.modelDir, file), 'detector model', threads)
  return { session, inputName: manifest.input.name, keypointsName: manifest.outputs.keypoints, whName: manifest.outputs.wh, size: manifest.input.size, labels: manifest.labels }
}

export async function detect (model: DetectorModel, config: DetectorConfig, images: readonly RgbImage[]): Promise<ImageRegion[][]> {
  if (images.length === 0) return []
  // Float 0..255 RGB. `stretch` is how @vladmandic/human feeds this model;
  // `letterbox` keeps the aspect of wide or tall images (padding at right/bottom).
  const letterbox = config.resize === 'letterbox'
  const size = model.size
  const plane = size * size * 3
  const input = new Float32Array(images.length * plane)
  const spans = images.map((image, i) => {
    input.set(resizeBilinearRgb(image, size, size, letterbox), i * plane)
    const scale = letterbox ? Math.min(size / image.width, size / image.height) : 1
    return {
      x: letterbox ? Math.max(1, Math.round(image.width * scale)) : size,
      y: letterbox ? Math.max(1, Math.round(image.height * scale)) : size
    }
  })
  const out = await run(model.session, { [model.inputName]: new ort.Tensor('float32', input, [images.length, size, size, 3]) }, 'detector')
  const keypoints = out[model.keypointsName] as ort.Tensor | undefined
  const wh = out[model.whName] as ort.Tensor | undefined
  if (!keypoints || !wh) throw new GroundstreamError('GS_ERR_INFERENCE', `detector gave no ${model.keypointsName} or ${model.whName}`)
  const [, grid, , classes] = keypoints.dims as [number, number, number, number]
  const shape = { grid, classes, stride: size / grid }
  return spans.map((span, b) => {
    const candidates: ImageRegion[] = []
    for (const d of decodeCenterNet(keypoints.data as Float32Array, wh.data as Float32Array, b, shape, config.minScore)) {
      if (d.cls >= model.labels.length) continue
      const x1 = clamp01(d.x1 / span.x)
      const y1 = clamp01(d.y1 / span.y)
      const x2 = clamp01(d.x2 / span.x)
      const y2 = clamp01(d.y2 / span.y)
      if (x2 - x1 <= 0.005 || y2 - y1 <= 0.005) continue
      candidates.push({ label: model.labels[d.cls] as string, text: null, kind: 'object', score: d.score, box: { x: x1, y: y1, w: x2 - x1, h: y2 - y1 } })
    }
    return nonMaxSuppression(candidates, config.nmsIou)
  })
}
