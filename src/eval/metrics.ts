// Exact-match precision/recall/F1 for span detection, MNER and GMNER, as
// defined in the Twitter-GMNER README (and the SCANNER/MQSPN papers).
import { ENTITY_TYPES, type EntityType } from '../contracts/index.js'

export interface PixelBox {
  xmin: number
  ymin: number
  xmax: number
  ymax: number
}

export interface GoldEntity {
  start: number
  end: number
  type: EntityType
  /** Empty when the entity is not visible in the image (gold region `None`). */
  boxes: PixelBox[]
}

export interface PredictedEntity {
  start: number
  end: number
  type: EntityType
  /** `null` means the prediction says `None` (not groundable). */
  box: PixelBox | null
}

export interface Score {
  tp: number
  predicted: number
  gold: number
  precision: number
  recall: number
  f1: number
}

export function score (tp: number, predicted: number, gold: number): Score {
  const precision = predicted === 0 ? 0 : tp / predicted
  const recall = gold === 0 ? 0 : tp / gold
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { tp, predicted, gold, precision, recall, f1 }
}

export function iou (a: PixelBox, b: PixelBox): number {
  const width = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin)
  const height = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin)
  if (width <= 0 || height <= 0) return 0
  const intersection = width * height
  const area = (box: PixelBox): number => Math.max(0, box.xmax - box.xmin) * Math.max(0, box.ymax - box.ymin)
  return intersection / (area(a) + area(b) - intersection)
}

/** A predicted region is right when both are `None`, or it overlaps any gold box with IoU >= 0.5. */
export function regionMatches (predicted: PixelBox | null, gold: readonly PixelBox[], threshold = 0.5): boolean {
  if (predicted === null) return gold.length === 0
  return gold.some((box) => iou(predicted, box) >= threshold)
}

export interface DocumentPair {
  gold: readonly GoldEntity[]
  predicted: readonly PredictedEntity[]
  /** Stage-1 spans before typing; span detection is scored on these when given. */
  candidates?: ReadonlyArray<{ start: number, end: number }>
}

export interface EvaluationScores {
  span: Score
  mner: Score
  mnerByType: Record<EntityType, Score>
  gmner: Score
  documents: number
}

const spanKey = (entity: { start: number, end: number }): string => `${entity.start}:${entity.end}`
const typedKey = (entity: { start: number, end: number, type: string }): string => `${entity.start}:${entity.end}:${entity.type}`

/** Counts matches, each gold entity matched at most once (duplicate predictions count as wrong). */
export function evaluate (documents: readonly DocumentPair[]): EvaluationScores {
  let spanTp = 0
  let spanPredicted = 0
  let mnerTp = 0
  let gmnerTp = 0
  let predictedTotal = 0
  let goldTotal = 0
  const typeCounts = Object.fromEntries(ENTITY_TYPES.map((type) => [type, { tp: 0, predicted: 0, gold: 0 }])) as Record<EntityType, { tp: number, predicted: number, gold: number }>

  for (const { gold, predicted, candidates } of documents) {
    goldTotal += gold.length
    predictedTotal += predicted.length
    for (const entity of gold) typeCounts[entity.type].gold++
    for (const entity of predicted) typeCounts[entity.type].predicted++

    const goldSpans = new Set(gold.map(spanKey))
    const goldTyped = new Map(gold.map((entity) => [typedKey(entity), entity]))
    const usedSpans = new Set<string>()
    const spans = candidates ?? predicted
    spanPredicted += spans.length
    for (const span of spans) {
      const key = spanKey(span)
      if (goldSpans.has(key) && !usedSpans.has(key)) {
        usedSpans.add(key)
        spanTp++
      }
    }
    const usedTyped = new Set<string>()
    for (const entity of predicted) {
      const typed = typedKey(entity)
      const match = goldTyped.get(typed)
      if (match !== undefined && !usedTyped.has(typed)) {
        usedTyped.add(typed)
        mnerTp++
        typeCounts[entity.type].tp++
        if (regionMatches(entity.box, match.boxes)) gmnerTp++
      }
    }
  }
  const mnerByType = Object.fromEntries(ENTITY_TYPES.map((type) => {
    const counts = typeCounts[type]
    return [type, score(counts.tp, counts.predicted, counts.gold)]
  })) as Record<EntityType, Score>
  return {
    span: score(spanTp, spanPredicted, goldTotal),
    mner: score(mnerTp, predictedTotal, goldTotal),
    mnerByType,
    gmner: score(gmnerTp, predictedTotal, goldTotal),
    documents: documents.length
  }
}
