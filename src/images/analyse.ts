// From pixels to what stage 2 needs: regions (objects + OCR lines, top-K), an
// image-level description for the `{image text}` slot, and, per candidate,
// the similarity of each region to the candidate (ordering, grounding).
//
// No CLIP exists offline, so "relevance of a region to an entity" is the
// cosine between MiniLM sentence embeddings of the candidate (plus its
// knowledge title) and the region's label or OCR text. It ranks text regions
// well and object regions only through their class names; docs/images.md.
import type { ImageRegion } from '../contracts/index.js'
import type { ImageEngine, RgbImage } from './engine.js'

export interface Analysis {
  regions: ImageRegion[]
  description: string
  /** `similarity[c][r]`: cosine of query c against region r (empty without an embedder). */
  similarity: number[][]
}

/** Text regions first (they name things), then objects by score; at most `topK`. */
export function selectRegions (objects: readonly ImageRegion[], texts: readonly ImageRegion[], topK: number): ImageRegion[] {
  const byScore = (a: ImageRegion, b: ImageRegion): number => b.score - a.score
  const textQuota = Math.min(texts.length, Math.ceil(topK / 2))
  const chosenTexts = [...texts].sort(byScore).slice(0, textQuota)
  const chosenObjects = [...objects].sort(byScore).slice(0, topK - chosenTexts.length)
  const spare = topK - chosenTexts.length - chosenObjects.length
  const moreTexts = spare > 0 ? [...texts].sort(byScore).slice(textQuota, textQuota + spare) : []
  return [...chosenTexts, ...moreTexts, ...chosenObjects]
}

/**
 * How many text regions selectRegions keeps at most, given the objects: half
 * of K, or more when there are fewer objects than the other half. OCR need
 * not read lines that cannot be among the best this many.
 */
export function textSlots (objectCount: number, topK: number): number {
  return Math.min(topK, Math.max(Math.ceil(topK / 2), topK - objectCount))
}

const PLURALS: Record<string, string> = { person: 'people', bus: 'buses', knife: 'knives', mouse: 'mice', sheep: 'sheep', skis: 'skis' }

function plural (label: string, n: number): string {
  if (n === 1) return label
  return `${n} ${PLURALS[label] ?? `${label}s`}`
}

/**
 * A short caption substitute: counted object classes in score order, then the
 * OCR text. Stage 2 trims it to 16 sub-tokens, so the most telling words come first.
 */
export function describeImage (regions: readonly ImageRegion[]): string {
  const counts = new Map<string, number>()
  for (const r of regions) if (r.kind === 'object') counts.set(r.label, (counts.get(r.label) ?? 0) + 1)
  const objects = [...counts.entries()].map(([label, n]) => plural(label, n))
  const text = regions.filter((r) => r.kind === 'text' && r.text).map((r) => r.text as string).join(' ')
  const parts: string[] = []
  if (objects.length > 0) parts.push(objects.join(', '))
  if (text !== '') parts.push(`text: ${text}`)
  return parts.join('; ').slice(0, 200)
}

function regionPhrase (region: ImageRegion): string {
  return region.kind === 'text' && region.text ? region.text : `a ${region.label}`
}

function cosine (a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number)
  return s
}

export async function analyseImage (engine: ImageEngine, image: RgbImage, queries: readonly string[], topK: number): Promise<Analysis> {
  return await analyseWithObjects(engine, image, await engine.detectObjects(image), queries, topK)
}

/**
 * Runs the detector once over several images, then OCR and similarity per
 * image, handing each result over as soon as it is ready (so the first image
 * of a batch does not wait for the OCR of the others).
 */
export async function analyseImages (
  engine: ImageEngine,
  jobs: ReadonlyArray<{ image: RgbImage, queries: readonly string[] }>,
  topK: number,
  onResult: (index: number, analysis: Analysis) => void
): Promise<void> {
  const objects = await engine.detectObjectsBatch(jobs.map((j) => j.image))
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as { image: RgbImage, queries: readonly string[] }
    onResult(i, await analyseWithObjects(engine, job.image, objects[i] ?? [], job.queries, topK))
  }
}

async function analyseWithObjects (engine: ImageEngine, image: RgbImage, objects: ImageRegion[], queries: readonly string[], topK: number): Promise<Analysis> {
  // Lines that could not be selected are not recognised (the selection is the same).
  const texts = await engine.readText(image, textSlots(objects.length, topK))
  const regions = selectRegions(objects, texts, topK)
  const description = describeImage(regions)
  return { regions, description, similarity: await relateRegions(engine, regions, queries) }
}

/**
 * Similarity of each query to each region: the only per-post part of an
 * analysis, so a cached analysis of a repeated image needs just this.
 */
export async function relateRegions (engine: ImageEngine, regions: readonly ImageRegion[], queries: readonly string[]): Promise<number[][]> {
  if (!engine.embedderEnabled || queries.length === 0 || regions.length === 0) return []
  const phrases = [...new Set(regions.map(regionPhrase))]
  const vectors = await engine.embed([...queries, ...phrases])
  const phraseVector = new Map(phrases.map((p, i) => [p, vectors[queries.length + i] as Float32Array]))
  return queries.map((_, q) => regions.map((r) => cosine(vectors[q] as Float32Array, phraseVector.get(regionPhrase(r)) as Float32Array)))
}
