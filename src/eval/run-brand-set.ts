// Runs the brand-tracking labelled set through the service's own pipeline
// (the in-memory processor of service/in-memory.ts: the same stages, caps and
// micro-batching as `run`), or reads the entity documents a `groundstream run`
// wrote for it, and scores them (src/eval/brand-set.ts).
import type { EntityDocument, Post } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { documentBrand } from '../sinks/index.js'
import type { PostWork } from '../pipeline/index.js'
import type { InMemoryProcessor } from '../service/index.js'
import { kindOfSurface, scoreBrandSet, scoreBreakdown, type BrandBreakdown, type BrandPost, type BrandSetScores, type PredictedMention } from './brand-set.js'

const EVAL_TIMESTAMP = '2000-01-01T00:00:00Z'

/** A labelled post as the service receives it (also what `--write-posts` writes for `groundstream run`). */
export function brandPostToPost (post: BrandPost): Post {
  return { id: post.id, text: post.text, created_at: EVAL_TIMESTAMP, image_urls: [], language: post.language }
}

/** The brand and link title a prediction attributes its mention to, where known. */
function brandFields (brand: string | null | undefined, title: string | null | undefined): Pick<PredictedMention, 'brand' | 'linkTitle'> {
  return { ...(typeof brand === 'string' ? { brand } : {}), ...(typeof title === 'string' ? { linkTitle: title } : {}) }
}

function workToMentions (work: PostWork): PredictedMention[] {
  return work.entities.map((entity) => ({
    start: entity.candidate.start,
    end: entity.candidate.end,
    kind: entity.candidate.kind ?? 'text',
    type: entity.type,
    canonicalId: entity.link?.id ?? null,
    // The brand the service indexes the mention under (src/sinks/documents.ts).
    ...brandFields(documentBrand(entity.type, entity.link, entity.namedBrand), entity.link?.title)
  }))
}

/** Scores the labelled posts as the processor's pipeline handles them; every post must come back (none dead-lettered). */
export async function runBrandSet (posts: readonly BrandPost[], processor: Pick<InMemoryProcessor, 'process'>): Promise<{ scores: BrandSetScores, breakdown: BrandBreakdown, predictions: Map<string, PredictedMention[]> }> {
  const run = await processor.process(posts.map(brandPostToPost))
  const lost = run.deadLetters[0]
  if (lost !== undefined || run.works.length !== posts.length) {
    throw new GroundstreamError('GS_ERR_DATASET', `${posts.length - run.works.length} of ${posts.length} brand-set posts were not processed${lost === undefined ? '' : ` (first: ${lost.postId ?? lost.source.offset}, ${lost.reason}: ${lost.detail})`}`)
  }
  const predictions = new Map<string, PredictedMention[]>()
  for (const work of run.works) predictions.set(work.post.id, workToMentions(work))
  return { scores: scoreBrandSet(posts, predictions), breakdown: scoreBreakdown(posts, predictions), predictions }
}

/**
 * Entity documents (JSONL, as `groundstream run` writes them) as predictions.
 * Documents from before `entity.mention_kind` existed get the kind their
 * surface is written in; those from before `entity.brand`, no brand.
 */
export function documentsToPredictions (jsonl: string, source = 'documents'): Map<string, PredictedMention[]> {
  const predictions = new Map<string, PredictedMention[]>()
  jsonl.split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return
    let document: EntityDocument
    try {
      document = JSON.parse(line) as EntityDocument
    } catch (error) {
      throw new GroundstreamError('GS_ERR_DATASET', `${source}:${index + 1}: not JSON`, { cause: error })
    }
    const entity = document.entity
    const list = predictions.get(document.post_id) ?? []
    list.push({
      start: entity.start,
      end: entity.end,
      kind: entity.mention_kind ?? kindOfSurface(entity.text),
      type: entity.type,
      canonicalId: entity.canonical_id ?? null,
      ...brandFields((entity as { brand?: string | null }).brand, entity.canonical_title)
    })
    predictions.set(document.post_id, list)
  })
  return predictions
}
