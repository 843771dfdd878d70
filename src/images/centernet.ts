// CenterNet decoding, as the TFJS graph of @vladmandic/human does it after its
// heads (verified against that graph's own `detections` output): a heat-map
// value is a detection when it is the maximum of its 3x3 neighbourhood in its
// class channel; its box is the centre cell (stride 4) minus/plus the
// predicted left/top/right/bottom distances in input pixels.

export interface RawDetection {
  x1: number
  y1: number
  x2: number
  y2: number
  score: number
  cls: number
}

export interface HeadShape {
  /** Heat-map cells per side (128 for a 512 input). */
  grid: number
  classes: number
  /** Input pixels per heat-map cell (4). */
  stride: number
}

/**
 * Decodes image `b` of a batch: `keypoints` [B, grid, grid, classes] and
 * `wh` [B, grid, grid, 4], both NHWC. Returns peaks with score >= minScore,
 * best first, at most `maxDetections` (the graph keeps 100).
 */
export function decodeCenterNet (keypoints: Float32Array, wh: Float32Array, b: number, shape: HeadShape, minScore: number, maxDetections = 100): RawDetection[] {
  const { grid, classes, stride } = shape
  const kpBase = b * grid * grid * classes
  const whBase = b * grid * grid * 4
  const found: RawDetection[] = []
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const cell = (y * grid + x) * classes
      for (let c = 0; c < classes; c++) {
        const v = keypoints[kpBase + cell + c] as number
        if (!(v >= minScore)) continue
        let peak = true
        for (let dy = -1; dy <= 1 && peak; dy++) {
          const ny = y + dy
          if (ny < 0 || ny >= grid) continue
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx
            if (nx < 0 || nx >= grid || (dx === 0 && dy === 0)) continue
            if ((keypoints[kpBase + (ny * grid + nx) * classes + c] as number) > v) { peak = false; break }
          }
        }
        if (!peak) continue
        const w = whBase + (y * grid + x) * 4
        found.push({
          x1: x * stride - (wh[w] as number),
          y1: y * stride - (wh[w + 1] as number),
          x2: x * stride + (wh[w + 2] as number),
          y2: y * stride + (wh[w + 3] as number),
          score: v,
          cls: c
        })
      }
    }
  }
  return found.sort((a, b2) => b2.score - a.score).slice(0, maxDetections)
}
