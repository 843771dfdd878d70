// Box geometry on normalised [0,1] coordinates.
import type { ImageRegion, NormalisedBox } from '../contracts/index.js'

export function iou (a: NormalisedBox, b: NormalisedBox): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x))
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y))
  const inter = ix * iy
  const union = a.w * a.h + b.w * b.h - inter
  return union <= 0 ? 0 : inter / union
}

/**
 * Greedy, class-agnostic NMS (as @vladmandic/human does for this detector:
 * CenterNet often scores one box as both car and truck; keep the better one).
 */
export function nonMaxSuppression (regions: readonly ImageRegion[], maxIou: number): ImageRegion[] {
  const sorted = [...regions].sort((a, b) => b.score - a.score)
  const kept: ImageRegion[] = []
  for (const r of sorted) {
    if (kept.every((k) => iou(k.box, r.box) <= maxIou)) kept.push(r)
  }
  return kept
}

/** A box coordinate held to 0..1 (a fraction of the image side). */
export function clamp01 (v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v
}
