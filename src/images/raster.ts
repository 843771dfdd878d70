// Small raster helpers for model inputs. Written out in JS (not sharp) so the
// worker threads need no native image library and the maths is the same on
// every machine: bilinear sampling with half-pixel centres, like TF's resize.
interface Rgb {
  data: Uint8Array
  width: number
  height: number
}

/** Samples a source rectangle (in source pixels) into a dw x dh RGB float image (0..255). */
export function cropResizeRgb (image: Rgb, sx: number, sy: number, sw: number, sh: number, dw: number, dh: number): Float32Array {
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
      const a = (y0 * width + x0) * 3
      const b = (y0 * width + x1) * 3
      const c = (y1 * width + x0) * 3
      const d = (y1 * width + x1) * 3
      const o = (y * dw + x) * 3
      for (let ch = 0; ch < 3; ch++) {
        const top = (data[a + ch] as number) * (1 - wx) + (data[b + ch] as number) * wx
        const bottom = (data[c + ch] as number) * (1 - wx) + (data[d + ch] as number) * wx
        out[o + ch] = top * (1 - wy) + bottom * wy
      }
    }
  }
  return out
}

/** Stretches the whole image to dw x dh (or letterboxes it, keeping the aspect, when `letterbox`). */
export function resizeBilinearRgb (image: Rgb, dw: number, dh: number, letterbox: boolean): Float32Array {
  if (!letterbox) return cropResizeRgb(image, 0, 0, image.width, image.height, dw, dh)
  const scale = Math.min(dw / image.width, dh / image.height)
  const iw = Math.max(1, Math.round(image.width * scale))
  const ih = Math.max(1, Math.round(image.height * scale))
  const inner = cropResizeRgb(image, 0, 0, image.width, image.height, iw, ih)
  const out = new Float32Array(dw * dh * 3)
  for (let y = 0; y < ih; y++) out.set(inner.subarray(y * iw * 3, (y + 1) * iw * 3), (y * dw) * 3)
  return out
}
