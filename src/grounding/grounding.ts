// Grounding: choose the image region that shows an entity, or none. A pure
// function of the entity, the image's regions and (optionally) stage 2's
// object-head scores, so stage 2 calls it per recognised entity and tests can
// check every rule without models.
//
// Evidence per region, combined into one score in [0, 1]:
//   - type/label compatibility (PER <-> person, ORG <-> text/logo, ...)
//   - OCR text matching the entity, its aliases or its knowledge title
//   - sentence-embedding similarity of entity and region (the CLIP stand-in)
//   - detector/OCR confidence and, for objects, area (salience)
//   - the stage-2 object head, when it is trained and the region was in the prompt
import { squashEntityName, type EntityType, type Grounding, type ImageRegion, type Knowledge } from '../contracts/index.js'

export interface GroundingEntity {
  text: string
  type: EntityType
  knowledge?: Knowledge | null
  aliases?: readonly string[]
}

export interface GroundingInput {
  entity: GroundingEntity
  /** `ImageContext.regions`, in their order. */
  regions: readonly ImageRegion[]
  /** Aligned with `regions`: cosine similarity of this entity's candidate to each region (its candidate record's `regions[].similarity`). */
  similarity?: readonly number[] | null
  /**
   * Aligned with `regions`: stage 2's `obj_scores` for the regions that were
   * given an `<obj>` slot in this entity's prompt; null/undefined for the others.
   */
  objScores?: ReadonlyArray<number | null | undefined> | null
}

export interface GroundingOptions {
  /** Best score must reach this, else the entity is not grounded. */
  threshold: number
  /** Only when true are `objScores` used (an untrained head outputs noise). */
  objHeadTrained: boolean
  /** Mix of object head and heuristic evidence where the head is used. */
  objHeadWeight: number
}

const DEFAULT_GROUNDING_OPTIONS: Readonly<GroundingOptions> = Object.freeze({
  threshold: 0.35,
  objHeadTrained: false,
  objHeadWeight: 0.5
})

export interface RegionScore {
  index: number
  score: number
  compatibility: number
  textMatch: number
  similarity: number
  objHead: number | null
  reason: string
}

const WEIGHTS = { compatibility: 0.4, textMatch: 0.3, similarity: 0.3, confidence: 0.05, area: 0.05 } as const

const VEHICLES = new Set(['car', 'bus', 'truck', 'airplane', 'train', 'boat', 'motorcycle', 'bicycle'])
const ANIMALS = new Set(['dog', 'cat', 'horse', 'bird', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'])
const PLACES = new Set(['bench', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'boat', 'train'])

/** How plausible it is that a region of this kind/label depicts an entity of this type. */
export function typeCompatibility (type: EntityType, region: ImageRegion): number {
  const label = region.label
  if (region.kind === 'text') {
    // Text only grounds an entity when it names it; that evidence is textMatch.
    return type === 'PER' ? 0.15 : 0.3
  }
  switch (type) {
    case 'PER':
      if (label === 'person') return 1
      if (ANIMALS.has(label)) return 0.25 // pets are often named like people
      if (label === 'teddy bear') return 0.1
      return 0
    case 'ORG':
      if (label === 'person') return 0.2 // teams and bands are photographed as people
      if (VEHICLES.has(label)) return 0.2 // liveries and fleets
      return 0.05
    case 'LOC':
      if (PLACES.has(label)) return 0.15
      return 0.02
    case 'OTHER':
      if (label === 'person') return 0.1
      return 0.3
  }
}

function trigrams (text: string): Map<string, number> {
  const padded = ` ${text} `
  const grams = new Map<string, number>()
  for (let i = 0; i + 3 <= padded.length; i++) {
    const g = padded.slice(i, i + 3)
    grams.set(g, (grams.get(g) ?? 0) + 1)
  }
  return grams
}

function dice (a: string, b: string): number {
  const ga = trigrams(a)
  const gb = trigrams(b)
  let shared = 0
  let total = 0
  for (const [g, n] of ga) { shared += Math.min(n, gb.get(g) ?? 0); total += n }
  for (const n of gb.values()) total += n
  return total === 0 ? 0 : (2 * shared) / total
}

/**
 * How well OCR text names the entity, in [0, 1]. Spaces and punctuation are
 * ignored (the recogniser often drops spaces), so "OPEN24HOURS" matches
 * "Open 24 Hours" and "#Starbucks" matches "STARBUCKS COFFEE" partly.
 */
export function textMatchScore (ocrText: string, names: readonly string[]): number {
  const ocr = squashEntityName(ocrText)
  if (ocr.length === 0) return 0
  let best = 0
  for (const name of names) {
    const n = squashEntityName(name)
    if (n.length < 2) continue
    let score: number
    if (n === ocr) score = 1
    else if (n.length >= 3 && ocr.includes(n)) score = 0.75 + 0.25 * (n.length / ocr.length)
    else if (ocr.length >= 3 && n.includes(ocr)) score = 0.5 + 0.4 * (ocr.length / n.length)
    else score = 0.8 * Math.max(0, (dice(n, ocr) - 0.3) / 0.7)
    best = Math.max(best, score)
  }
  return best
}

function entityNames (entity: GroundingEntity): string[] {
  const names = [entity.text.replace(/^[#@]/, ''), ...(entity.aliases ?? [])]
  if (entity.knowledge?.title) names.push(entity.knowledge.title)
  return names
}

function clamp01 (v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v
}

/** Scores every region for this entity, best first. */
export function scoreRegions (input: GroundingInput, options: GroundingOptions = DEFAULT_GROUNDING_OPTIONS): RegionScore[] {
  const names = entityNames(input.entity)
  const scores = input.regions.map((region, index): RegionScore => {
    const compatibility = typeCompatibility(input.entity.type, region)
    const textMatch = region.kind === 'text' && region.text ? textMatchScore(region.text, names) : 0
    const rawSim = input.similarity?.[index]
    // MiniLM cosines of unrelated short phrases sit around 0.1; scale 0.1..0.7 to 0..1.
    const similarity = typeof rawSim === 'number' && Number.isFinite(rawSim) ? clamp01((rawSim - 0.1) / 0.6) : 0
    const area = region.kind === 'object' ? Math.sqrt(clamp01(region.box.w * region.box.h)) : 0
    const heuristic = clamp01(
      WEIGHTS.compatibility * compatibility +
      WEIGHTS.textMatch * textMatch +
      WEIGHTS.similarity * similarity +
      WEIGHTS.confidence * clamp01(region.score) +
      WEIGHTS.area * area
    )
    const head = options.objHeadTrained ? input.objScores?.[index] : undefined
    const objHead = typeof head === 'number' && Number.isFinite(head) ? clamp01(head) : null
    const score = objHead === null ? heuristic : (1 - options.objHeadWeight) * heuristic + options.objHeadWeight * objHead
    const because: string[] = []
    if (textMatch > 0) because.push(`OCR "${region.text ?? ''}" matches (${textMatch.toFixed(2)})`)
    if (compatibility > 0) because.push(`${input.entity.type}~${region.label} (${compatibility.toFixed(2)})`)
    if (similarity > 0) because.push(`similarity ${(rawSim as number).toFixed(2)}`)
    because.push(`confidence ${region.score.toFixed(2)}`)
    if (objHead !== null) because.push(`object head ${objHead.toFixed(2)}`)
    return { index, score, compatibility, textMatch, similarity, objHead, reason: because.join('; ') }
  })
  return scores.sort((a, b) => b.score - a.score || a.index - b.index)
}

/** The best region above the threshold, as a Grounding, or null (the entity is not in the image). */
export function groundEntity (input: GroundingInput, options: GroundingOptions = DEFAULT_GROUNDING_OPTIONS): Grounding | null {
  const best = scoreRegions(input, options)[0]
  if (best === undefined || best.score < options.threshold) return null
  const region = input.regions[best.index] as ImageRegion
  return {
    box: { ...region.box },
    label: region.kind === 'text' ? `text:${region.text ?? ''}` : region.label,
    score: Math.round(best.score * 1e4) / 1e4,
    reason: best.reason
  }
}

/**
 * What stage 2 hands a grounder (structurally the `GroundingRequest` of
 * stage2.ts, plus the optional similarities the image stage computed):
 * `regions` in prompt order, `objScores[i]` belonging to `regions[i]`.
 */
export interface PromptGroundingRequest {
  entityText: string
  type: EntityType
  knowledge: Knowledge | null
  regions: readonly ImageRegion[]
  objScores: readonly number[]
  /** Aligned with `regions`: the candidate record's `regions[].similarity`, in prompt order. */
  similarity?: readonly number[]
  aliases?: readonly string[]
}

export interface RegionGrounderConfig {
  threshold: number
  useObjectHead: boolean
  objHeadWeight: number
}

/** A grounder for stage 2 with the image config's threshold and object-head switch. */
export function createRegionGrounder (config: RegionGrounderConfig): (request: PromptGroundingRequest) => Grounding | null {
  const options: GroundingOptions = Object.freeze({ threshold: config.threshold, objHeadTrained: config.useObjectHead, objHeadWeight: config.objHeadWeight })
  return (request) => groundEntity({
    entity: { text: request.entityText, type: request.type, knowledge: request.knowledge, aliases: request.aliases ?? [] },
    regions: request.regions,
    similarity: request.similarity ?? null,
    objScores: request.objScores
  }, options)
}

/** The default grounder (threshold 0.35, object head off until it is trained). */
export const chooseRegion = createRegionGrounder({ threshold: DEFAULT_GROUNDING_OPTIONS.threshold, useObjectHead: false, objHeadWeight: DEFAULT_GROUNDING_OPTIONS.objHeadWeight })
