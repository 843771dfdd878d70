// The data contracts of groundstream, in one place: what a post looks like on
// the way in, what the stages hand each other, and what lands in the index.
// Everything that crosses a process edge (Kafka, worker threads, files, HTTP)
// is validated against these schemas there.
import { z } from 'zod'
import { formatIssues } from '../shared/index.js'

export { entityIndexKey, entityVariants, nameWithoutSuffix, normaliseEntity, normaliseEntityKey, squashEntityName } from './entity-names.js'
export type { NormalisedEntity } from './entity-names.js'

export const ENTITY_TYPES = ['PER', 'LOC', 'ORG', 'OTHER'] as const
export type EntityType = typeof ENTITY_TYPES[number]

/** Stage-2 labels: the four entity types plus "this candidate is not an entity". */
export const STAGE2_LABELS = [...ENTITY_TYPES, 'NONE'] as const
export type Stage2Label = typeof STAGE2_LABELS[number]

/** Largest post text the service accepts; longer posts are dead-lettered. */
const MAX_POST_TEXT_CHARS = 20_000
const MAX_IMAGE_URLS = 8

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
  const reason = formatIssues(result.error.issues).join('; ')
  return { ok: false, reason }
}

/** A word of the post as the tokenizer-independent unit the taggers work on. */
export interface Word {
  text: string
  start: number
  end: number
}

/**
 * How a mention is written: plain words, an @handle or a #hashtag. Handles
 * and hashtags are candidates of their own (see docs/brand-tracking.md).
 */
export const MENTION_KINDS = ['text', 'handle', 'hashtag'] as const
export type MentionKind = typeof MENTION_KINDS[number]

/** A stage-1 span candidate: a run of words, with character offsets into the post text. */
export interface Candidate {
  postId: string
  /** The surface as written (`@TMobile`). */
  text: string
  start: number
  end: number
  wordStart: number
  wordEnd: number
  score: number
  /** Absent means `text`. */
  kind?: MentionKind
  /**
   * What knowledge and stage 2 are asked about, when it differs from `text`:
   * a hashtag or handle segmented into words (`#ParisFashionWeek` -> `Paris Fashion Week`).
   */
  query?: string
  /**
   * Set by a recogniser that types spans in the same pass (MQSPN): softmax
   * over PER, LOC, ORG, OTHER, NONE. Stage 2 then decides from these instead
   * of running its prompt model for the candidate.
   */
  typeScores?: number[]
}

/**
 * Something a candidate could be linked to, from a typed source (the brand
 * catalogue, countries, GeoNames cities, Wikipedia, WordNet). The knowledge
 * stage gathers every option; stage 2 keeps one only when it agrees with the
 * predicted type (src/stages/linking.ts).
 */
export interface LinkOption {
  id: string
  title: string
  /** One line saying what the id is. */
  description: string
  /** What the source says this is; null for a reading that is not a named entity (`apple`, the fruit). */
  type: EntityType | null
  source: string
  /**
   * How the option was reached: `name` (title or alias), `handle` (an
   * official account), `tag` (a hashtag or handle read as a name), or
   * `context` (the words around the mention read it as a common noun:
   * `Apple pie`; such an option vetoes ambiguous links).
   */
  match: 'name' | 'handle' | 'tag' | 'context'
  /** The brand this entry belongs to (a product's maker, a store's chain), by its catalogue name; absent when the entry is a brand itself or none is known. */
  brand?: string
  /** For a populated place: how many live there, so a small town does not outrank a well-known place of the same name. */
  population?: number
  /** The entry is the user's own (knowledge.cataloguePath): typed and linked as it says unless stage 2 is sure otherwise. */
  tracked?: boolean
}

/** The link a document carries: what the mention was resolved to. */
export interface EntityLink {
  id: string
  title: string
  description: string
  source: string
  /** The brand the linked entry belongs to (LinkOption.brand). */
  brand?: string
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
  | 'refused_host'
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
  /** The canonical entity, only when a typed source agrees with the type and context; absent or null otherwise. */
  link?: EntityLink | null
  /** The catalogue brand the mention's first words name (`Samsung` in `Samsung Galaxy S24`); CandidateRecord.namedBrand. */
  namedBrand?: string
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
    /** The surface as written (`@TMobile`, `#ParisFashionWeek`). */
    text: string
    normalised: string
    mention_kind: MentionKind
    type: EntityType
    score: number
    span_score: number
    start: number
    end: number
    canonical_id: string | null
    canonical_title: string | null
    /** One line saying what `canonical_id` is; null when not linked. */
    canonical_description: string | null
    /** Where the stage-2 prompt's knowledge came from (not the link's source). */
    knowledge_source: string | null
    /**
     * The brand the mention is about, by its catalogue name: the linked
     * entry's brand (a product's maker, a store's chain), or the linked entry
     * itself when it is a catalogue brand (an ORG entry with no brand of its
     * own), so filtering by a brand finds its own mentions and its products'.
     * Null otherwise; absent in documents written before it existed.
     */
    brand: string | null
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
  stage: z.enum(['stage1', 'stage2', 'mqspn']),
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
  /** MQSPN only: the longest span a query may point at, in words. */
  max_span_words: z.number().int().positive().optional(),
  /** The vocabulary's special tokens when they are not BERT's (e.g. `<s>`, `</s>` of a SentencePiece encoder). */
  special_tokens: z.object({
    cls: z.string(),
    sep: z.string(),
    pad: z.string(),
    unk: z.string(),
    mask: z.string(),
    obj: z.string().optional()
  }).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  dev_scores: z.record(z.string(), z.unknown()).optional()
}).passthrough()

export type ModelManifest = z.infer<typeof ModelManifestSchema>

// ---------------------------------------------------------------- the unit of work
// What flows through the stages: one post, its source coordinates, and what
// each stage found for it. Each stage fills in its own fields and returns the
// same items, in the same order (src/pipeline runs them).

export const STAGE_NAMES = ['stage1', 'knowledge', 'image', 'stage2'] as const
export type StageName = typeof STAGE_NAMES[number]

export interface PostWork {
  readonly post: Post
  /** Kafka (or file) coordinates, carried so the consumer can move offsets once indexed. */
  readonly source: SourceCoordinates
  /** The analysed prefix split into words by stage 1; candidates' word indices point into it, and stage 2 reads it. */
  words?: Word[]
  /** Stage 1's candidates, each with what the later stages found for it (one record per candidate). */
  candidates: CandidateRecord[]
  image: ImageContext
  entities: RecognisedEntity[]
  /** Length of the post text's prefix the models read (the whole text when absent); set on admission. */
  analysedChars?: number
  /** The per-post caps that cut something from this post (see limits.ts). */
  truncated?: Array<'chars' | 'candidates' | 'mentions'>
  /** Milliseconds spent in each stage for this item's batch, set by the runner (stages do not time themselves). */
  timings: Partial<Record<StageName, number>>
}

/** One stage-1 candidate and what the knowledge and image stages found for it; stage 2 reads it whole. */
export interface CandidateRecord {
  readonly candidate: Candidate
  /** The knowledge joined to the candidate, or null (stage 1 sets null; the knowledge stage fills it). */
  knowledge: Knowledge | null
  /** Every typed reading the knowledge stage found; stage 2 links at most one. Absent: none looked up. */
  links?: LinkOption[]
  /**
   * A catalogue brand (ORG) the first words of a several-word text mention
   * name, when the whole mention is not in the catalogue: `Samsung` for
   * `Samsung Galaxy S24`, `LEGO` for `LEGO Star Wars`. Never a link: only
   * the brand the mention's document is counted under (src/sinks/documents.ts).
   */
  namedBrand?: string
  /** The image's regions as they relate to this candidate, most relevant first (the image stage's order). Absent: the regions' own order, no similarity. */
  regions?: CandidateRegion[]
}

/** One region of the post's image as it relates to one candidate. */
export interface CandidateRegion {
  /** Index into `image.regions`. */
  index: number
  /** Cosine similarity of the candidate to the region, for ordering and grounding; null when no sentence encoder ran. */
  similarity: number | null
}

export interface SourceCoordinates {
  topic: string
  partition: number
  offset: string
}

/** A post as it enters the pipeline: nothing found yet. */
export function newPostWork (post: Post, source: SourceCoordinates): PostWork {
  return { post, source, candidates: [], image: NO_IMAGE, entities: [], timings: {} }
}
