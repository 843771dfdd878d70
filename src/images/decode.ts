// Decoding untrusted image bytes with sharp (libvips): the pixel limit is
// checked from the header before any pixel is decoded (decompression bombs),
// EXIF orientation is applied, animations are reduced to their first frame,
// transparency is flattened onto white and the result is kept at most
// `maxSide` pixels on its longest side. Every failure is an outcome, not a throw.
import sharp from 'sharp'
import { errorMessage } from '../errors/index.js'
import type { ImageDecodeConfig } from './config.js'
import type { RgbImage } from './engine.js'

export interface DecodedImage extends RgbImage {
  /** Size after EXIF orientation, before any downscaling: what the post shows. */
  originalWidth: number
  originalHeight: number
}

export type DecodeOutcome =
  | { ok: true, image: DecodedImage }
  | { ok: false, status: 'refused_pixels' | 'decode_error', reason: string }

export async function decodeImage (bytes: Uint8Array, config: ImageDecodeConfig): Promise<DecodeOutcome> {
  const options = { limitInputPixels: config.maxPixels, pages: 1, page: 0, failOn: 'error' as const }
  let width: number
  let height: number
  try {
    // Header only: no pixel is decoded here, so the limit is checked by hand below
    // (and again by libvips itself while decoding).
    const meta = await sharp(bytes, { ...options, limitInputPixels: false }).metadata()
    width = meta.autoOrient?.width ?? meta.width ?? 0
    height = meta.autoOrient?.height ?? meta.pageHeight ?? meta.height ?? 0
  } catch (error) {
    return classify(error)
  }
  if (width <= 0 || height <= 0) return { ok: false, status: 'decode_error', reason: 'image has no size' }
  if (width * height > config.maxPixels) {
    return { ok: false, status: 'refused_pixels', reason: `${width}x${height} exceeds ${config.maxPixels} pixels` }
  }
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize({ width: config.maxSide, height: config.maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) return { ok: false, status: 'decode_error', reason: `decoded to ${info.channels} channels` }
    return { ok: true, image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, originalWidth: width, originalHeight: height } }
  } catch (error) {
    return classify(error)
  }
}

function classify (error: unknown): DecodeOutcome {
  const message = errorMessage(error)
  if (/pixel limit/i.test(message)) return { ok: false, status: 'refused_pixels', reason: message }
  return { ok: false, status: 'decode_error', reason: message }
}
