import { describe, expect, it } from 'vitest'
import { cropResizeRgb, resizeBilinearRgb, resizeNormalisedChw } from '../../src/images/raster.js'

/** The sampler as it was before the per-call tables: every pixel computes its own source position. */
function referenceCropResize (image: { data: Uint8Array, width: number, height: number }, sx: number, sy: number, sw: number, sh: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * 3)
  const { data, width, height } = image
  const scaleX = sw / dw
  const scaleY = sh / dh
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(height - 1, Math.max(0, sy + (y + 0.5) * scaleY - 0.5))
    const y0 = Math.floor(fy)
    const y1 = Math.min(height - 1, y0 + 1)
    const wy = fy - y0
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(width - 1, Math.max(0, sx + (x + 0.5) * scaleX - 0.5))
      const x0 = Math.floor(fx)
      const x1 = Math.min(width - 1, x0 + 1)
      const wx = fx - x0
      for (let ch = 0; ch < 3; ch++) {
        const top = (data[(y0 * width + x0) * 3 + ch] as number) * (1 - wx) + (data[(y0 * width + x1) * 3 + ch] as number) * wx
        const bottom = (data[(y1 * width + x0) * 3 + ch] as number) * (1 - wx) + (data[(y1 * width + x1) * 3 + ch] as number) * wx
        out[(y * dw + x) * 3 + ch] = top * (1 - wy) + bottom * wy
      }
    }
  }
  return out
}

function noise (width: number, height: number, seed: number): { data: Uint8Array, width: number, height: number } {
  const data = new Uint8Array(width * height * 3)
  let s = seed
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    data[i] = s >>> 24
  }
  return { data, width, height }
}

const MEAN = [0.485, 0.456, 0.406]
const STD = [0.229, 0.224, 0.225]

describe('raster sampling (model inputs)', () => {
  it('cropResizeRgb gives exactly the per-pixel sampler\'s values (down, up, crops at fractional offsets)', () => {
    const image = noise(97, 61, 7)
    for (const [sx, sy, sw, sh, dw, dh] of [[0, 0, 97, 61, 32, 32], [0, 0, 97, 61, 200, 130], [10.3, 4.7, 50.2, 20.9, 96, 48], [90, 55, 7, 6, 16, 48]] as const) {
      expect(cropResizeRgb(image, sx, sy, sw, sh, dw, dh), `${sx},${sy},${sw},${sh} -> ${dw}x${dh}`).toStrictEqual(referenceCropResize(image, sx, sy, sw, sh, dw, dh))
    }
  })

  it('resizeNormalisedChw equals resize, then (v / 255 - mean) / std per channel into planes, bit for bit', () => {
    for (const [w, h, dw, dh] of [[97, 61, 96, 64], [300, 200, 320, 224], [40, 90, 32, 96]] as const) {
      const image = noise(w, h, w * h)
      const resized = resizeBilinearRgb(image, dw, dh, false)
      const plane = dw * dh
      const expected = new Float32Array(3 * plane)
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) expected[c * plane + i] = ((resized[i * 3 + c] as number) / 255 - (MEAN[c] as number)) / (STD[c] as number)
      const got = resizeNormalisedChw(image, dw, dh, MEAN, STD)
      expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(expected.buffer)), `${w}x${h} -> ${dw}x${dh}`).toBe(0)
    }
  })
})
