// PostWork -> entity documents: one per entity mention. The id depends only on
// the post id and the mention's character span, so a replayed post overwrites
// its documents instead of adding new ones, even if a newer model types it
// differently. Documents carry the analysed prefix of the post text, so their
// size does not grow with the post (pipeline limits).
import { createHash } from 'node:crypto'
import { entityIndexKey, type EntityDocument, type EntityLink, type EntityType, type ModelVersions } from '../contracts/index.js'
import type { PostWork } from '../pipeline/index.js'

export function documentId (postId: string, start: number, end: number): string {
  return createHash('sha256').update(`${postId}\u0000${start}\u0000${end}`).digest('base64url')
}

/**
 * The brand a mention is about: its link's brand (a product, a store), or the
 * link itself when it is a catalogue brand (ORG, no brand of its own), so
 * `brand=Apple` finds `Apple` and `iPhone 15` alike. Without a link, a
 * product or organisation whose first words name a catalogue brand
 * (`Samsung Galaxy S24`, `namedBrand`) counts under that brand. Null otherwise.
 */
export function documentBrand (type: EntityType, link: Pick<EntityLink, 'title' | 'source' | 'brand'> | null | undefined, namedBrand?: string): string | null {
  if (link === null || link === undefined) return (type === 'OTHER' || type === 'ORG') && namedBrand !== undefined ? namedBrand : null
  if (link.brand !== undefined && link.brand.trim() !== '') return link.brand
  return type === 'ORG' && link.source === 'catalogue' ? link.title : null
}

export function toEntityDocuments (work: PostWork, models: ModelVersions, processedAt: string): EntityDocument[] {
  const post = work.post
  const seen = new Set<string>()
  const documents: EntityDocument[] = []
  // Each mention carries only the analysed prefix, so a document's size is bounded by the caps, not by the post.
  const text = post.text.slice(0, work.analysedChars ?? post.text.length)
  const truncatedBy = [...(work.truncated ?? [])]
  for (const entity of work.entities) {
    const { candidate } = entity
    const id = documentId(post.id, candidate.start, candidate.end)
    // Two mentions on one span would overwrite each other anyway; keep the first.
    if (seen.has(id)) continue
    seen.add(id)
    documents.push({
      id,
      post_id: post.id,
      entity: {
        text: candidate.text,
        normalised: entityIndexKey(candidate.text),
        mention_kind: candidate.kind ?? 'text',
        type: entity.type,
        score: entity.typeScore,
        span_score: candidate.score,
        start: candidate.start,
        end: candidate.end,
        // Only a link the linker trusted; the prompt's knowledge alone is no identity (docs/brand-tracking.md).
        canonical_id: entity.link?.id ?? null,
        canonical_title: entity.link?.title ?? null,
        canonical_description: entity.link?.description ?? null,
        knowledge_source: entity.knowledge?.source ?? null,
        brand: documentBrand(entity.type, entity.link, entity.namedBrand)
      },
      box: entity.grounding === null
        ? null
        : { ...entity.grounding.box, label: entity.grounding.label, score: entity.grounding.score, reason: entity.grounding.reason },
      image: {
        url: work.image.url,
        width: work.image.width,
        height: work.image.height,
        status: work.image.status
      },
      post: {
        text,
        text_length: post.text.length,
        truncated: truncatedBy.length > 0,
        truncated_by: truncatedBy,
        created_at: post.created_at,
        author_id: post.author?.id ?? null,
        author_handle: post.author?.handle ?? null,
        language: post.language ?? null,
        url: post.url ?? null,
        source: post.source ?? null
      },
      models,
      processed_at: processedAt
    })
  }
  return documents
}
