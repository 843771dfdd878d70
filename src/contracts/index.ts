// The data contracts of groundstream, in one place: what a post looks like on
// the way in, what the stages hand each other, and what lands in the index.
// Everything that crosses a process edge (Kafka, worker threads, files, HTTP)
// is validated against these schemas there.
import { z } from 'zod'

export const ENTITY_TYPES = ['PER', 'LOC', 'ORG', 'OTHER'] as const
export type EntityType = typeof ENTITY_TYPES[number]

/** Stage-2 labels: the four entity types plus "this candidate is not an entity". */
export const STAGE2_LABELS = [...ENTITY_TYPES, 'NONE'] as const
export type Stage2Label = typeof STAGE2_LABELS[number]

/** Largest post text the service accepts; longer posts are dead-lettered. */
export const MAX_POST_TEXT_CHARS = 20_000
export const MAX_IMAGE_URLS = 8

const isoTimestamp = z.string().datetime({ offset: true })

export const PostSchema = z.object({
  id: z.string().min(1).max(256),
  text: z.string().max(MAX_POST_TEXT_CHARS),
  created_at: isoTimestamp,
  author: z.object({
    id: z.string().min(1).max(256),
    handle: z.string().max(256).optional(),
    display_name: z.string().max(512).optional()
  }).strict().optional(),
  language: z.string().min(2).max(35).optional(),
  image_urls: z.array(z.string().url().max(4096)).max(MAX_IMAGE_URLS).default([]),
  url: z.string().url().max(4096).optional(),
  source: z.string().max(128).optional(),
  reply_to: z.string().max(256).optional(),
  hashtags: z.array(z.string().max(280)).max(100).optional()
}).strict()

export type Post = z.infer<typeof PostSchema>
export type PostInput = z.input<typeof PostSchema>

export interface ParsedPost {
  ok: true
  post: Post
}
export interface RejectedPost {
  ok: false
  reason: string
}

/** Validates an untrusted post; the reason lists every problem, for the dead-letter topic. */
export function parsePost (value: unknown): ParsedPost | RejectedPost {
  const result = PostSchema.safeParse(value)
  if (result.success) return { ok: true, post: result.data }
  const reason = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
  return { ok: false, reason }
}

/** A word of the post as the tokenizer-independent unit the taggers work on. */
export interface Word {
  text: string
  start: number
  end: number
}

/** A stage-1 span candidate: a run of words, with character offsets into the post text. */
export interface Candidate {
  postId: string
  text: string
  start: number
  end: number
  wordStart: number
  wordEnd: number
  score: number
}

/** Knowledge joined onto a candidate by the knowledge cache. */
export interface Knowledge {
  key: string
  canonicalId: string | null
  title: string | null
  text: string
  source: string
}

/** A region of the post's image: a detected object or an OCR text line, in normalised coordinates. */
export interface ImageRegion {
  label: string
  text: string | null
  kind: 'object' | 'text'
  score: number
  box: NormalisedBox
}

export interface NormalisedBox {
  x: number
  y: number
  w: number
  h: number
}

export type ImageStatus =
  | 'none'
  | 'ok'
  | 'refused_scheme'
  | 'refused_address'
  | 'refused_size'
  | 'refused_type'
  | 'refused_pixels'
  | 'timeout'
  | 'fetch_error'
  | 'decode_error'
  | 'disabled'

/** What the image path knows about a post's image, fed into stage 2's prompt. */
export interface ImageContext {
  url: string | null
  status: ImageStatus
  width: number | null
  height: number | null
  description: string
  regions: ImageRegion[]
}

export const NO_IMAGE: ImageContext = Object.freeze({
  url: null,
  status: 'none',
  width: null,
  height: null,
  description: '',
  regions: []
}) as ImageContext

export interface Grounding {
  box: NormalisedBox
  label: string
  score: number
  reason: string
}

/** A typed (and possibly grounded) entity mention: the result of stage 2. */
export interface RecognisedEntity {
  candidate: Candidate
  type: EntityType
  typeScore: number
  /** Stage 2's softmax over PER, LOC, ORG, OTHER, NONE, when its model typed the candidate. */
  typeScores?: readonly number[]
  knowledge: Knowledge | null
  grounding: Grounding | null
}

export interface ModelVersions {
  stage1: string
  stage2: string
}

/** One document per entity mention in Elasticsearch. */
export interface EntityDocument {
  id: string
  post_id: string
  entity: {
    text: string
    normalised: string
    type: EntityType
    score: number
    span_score: number
    start: number
    end: number
    canonical_id: string | null
    canonical_title: string | null
    knowledge_source: string | null
  }
  box: (NormalisedBox & { label: string, score: number, reason: string }) | null
  image: {
    url: string | null
    width: number | null
    height: number | null
    status: ImageStatus
  }
  post: {
    /** The analysed prefix of the post text (pipeline.maxAnalysedChars); entity offsets point into it. */
    text: string
    /** Length of the whole post text, in UTF-16 code units. */
    text_length: number
    /** True when a per-post cap cut something: text not analysed, candidates or mentions dropped. */
    truncated: boolean
    /** Which caps cut something: 'chars', 'candidates', 'mentions'. */
    truncated_by: string[]
    created_at: string
    author_id: string | null
    author_handle: string | null
    language: string | null
    url: string | null
    source: string | null
  }
  models: ModelVersions
  processed_at: string
  /**
   * Set by the Elasticsearch sink: the processing that wrote the document
   * (microseconds since the epoch, also its external version). After a batch
   * is indexed, older generations of its posts are deleted.
   */
  generation?: number
}

/** The model manifest written by training/export and read by the serving code. */
export const ModelManifestSchema = z.object({
  name: z.string(),
  stage: z.enum(['stage1', 'stage2']),
  version: z.string(),
  labels: z.array(z.string()).min(2),
  max_length: z.number().int().positive(),
  files: z.object({
    fp32: z.string(),
    int8: z.string().optional(),
    tokenizer: z.string()
  }),
  inputs: z.array(z.string()).min(1),
  outputs: z.array(z.string()).min(1),
  training: z.record(z.string(), z.unknown()).optional(),
  dev_scores: z.record(z.string(), z.unknown()).optional()
}).passthrough()

export type ModelManifest = z.infer<typeof ModelManifestSchema>
