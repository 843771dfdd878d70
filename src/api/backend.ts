// What every search backend answers (Elasticsearch in search.ts, the embedded
// SQLite store in embedded.ts): the answer shapes the routes send and the
// SearchBackend interface server.ts and export.ts call.
import type { EntityDocument, EntityType } from '../contracts/index.js'
import type { CooccurringRequest, MentionsRequest, PostsRequest, TimelineRequest, TrendingRequest } from './requests.js'

export interface MentionHit extends EntityDocument {
  _score?: number | null
}

export interface MentionsAnswer {
  total: { value: number, relation: 'eq' | 'gte' }
  mentions: MentionHit[]
  next: string | null
  timed_out: boolean
}

export interface TimelineAnswer {
  interval: string
  from: string
  to: string
  total: number
  buckets: Array<{ time: string, count: number }>
  timed_out: boolean
}

/** One group of mentions (an entity, or a brand with its products) and its most frequent values. */
export interface EntitySummary {
  /** The group's key: the normalised entity (use it as `entity=`), or with `by=brand` the lower-cased brand (use it as `brand=`). */
  entity: string
  text: string | null
  type: EntityType | null
  canonical_id: string | null
  canonical_title: string | null
  brand: string | null
}

export interface TrendingAnswer {
  window: { from: string, to: string }
  previous: { from: string, to: string }
  entities: Array<EntitySummary & { current: number, previous: number, change: number, ratio: number, score: number }>
  timed_out: boolean
}

export interface CooccurringAnswer {
  posts_considered: number
  entities: Array<EntitySummary & { posts: number, mentions: number }>
  timed_out: boolean
}

export interface PostView {
  post_id: string
  text: string
  created_at: string
  author_handle: string | null
  url: string | null
  language: string | null
  image: EntityDocument['image']
  entities: Array<Pick<EntityDocument, 'id' | 'box'> & EntityDocument['entity']>
}

/** Groups mention documents (in the order given) into one view per post. Both backends answer /posts with it. */
export function groupByPost (docs: Iterable<EntityDocument>): Map<string, PostView> {
  const byPost = new Map<string, PostView>()
  for (const doc of docs) {
    let view = byPost.get(doc.post_id)
    if (view === undefined) {
      view = {
        post_id: doc.post_id,
        text: doc.post.text,
        created_at: doc.post.created_at,
        author_handle: doc.post.author_handle,
        url: doc.post.url,
        language: doc.post.language,
        image: doc.image,
        entities: []
      }
      byPost.set(doc.post_id, view)
    }
    view.entities.push({ id: doc.id, box: doc.box, ...doc.entity })
  }
  return byPost
}

export interface PostsAnswer {
  /** Posts with a matching mention (Elasticsearch: a cardinality count, approximate above 40 000). */
  total: { value: number, relation: 'eq' | 'gte' }
  posts: PostView[]
  /** The cursor of the next page; null on the last one. */
  next: string | null
  timed_out: boolean
}

export interface ExtentAnswer {
  /** The clock the API answers by (a file-backed server anchors it to its newest post). */
  now: string
  documents: number
  first: string | null
  last: string | null
}

export interface ReadyState {
  ok: boolean
  [detail: string]: unknown
}

/** What the API asks of an entity store: Elasticsearch, or the embedded one over a JSONL file. */
export interface SearchBackend {
  readonly kind: 'elasticsearch' | 'embedded'
  ready (signal?: AbortSignal): Promise<ReadyState>
  mentions (request: MentionsRequest, signal?: AbortSignal): Promise<MentionsAnswer>
  timeline (request: TimelineRequest, signal?: AbortSignal): Promise<TimelineAnswer>
  trending (request: TrendingRequest, signal?: AbortSignal): Promise<TrendingAnswer>
  cooccurring (request: CooccurringRequest, signal?: AbortSignal): Promise<CooccurringAnswer>
  recentPosts (request: PostsRequest, signal?: AbortSignal): Promise<PostsAnswer>
  extent (signal?: AbortSignal): Promise<ExtentAnswer>
  close (): Promise<void>
}
