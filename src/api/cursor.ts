// The one paging mechanism of the API: an opaque cursor holding the sort key
// of the last item of a page (base64url JSON naming its sort), checked on
// the way back in. Both backends continue after that key (Elasticsearch's
// search_after or a keyset filter, SQL keyset), so a page never repeats or
// skips an item, at any depth.
import { z } from 'zod'
import { invalid } from './requests.js'

/** Epoch milliseconds or a score: finite and inside the range a Date can hold. */
const number = z.number().finite().min(-8.64e15).max(8.64e15)
/** A document or post id, the last tie-breaker of every sort. */
const id = z.string().max(256)

/** The sort key of each list, in sort order. */
const CURSOR_KEYS = Object.freeze({
  /** Mentions, newest first: [created_at millis, mention id]. */
  recent: z.tuple([number, id]),
  /** Mentions by relevance: [_score, created_at millis, mention id]. */
  relevance: z.tuple([number, number, id]),
  /** Mentions by type confidence: [entity.score, created_at millis, mention id]. */
  score: z.tuple([number, number, id]),
  /** Posts, newest first: [created_at millis, post id]. */
  posts: z.tuple([number, id])
})

export type CursorSort = keyof typeof CURSOR_KEYS
export type CursorKey<S extends CursorSort> = z.infer<typeof CURSOR_KEYS[S]>

function tokenSchema<S extends CursorSort> (sort: S) {
  return z.object({ s: z.literal(sort), v: CURSOR_KEYS[sort] }).strict()
}

/** The cursor continuing after `key`; a key that would not decode again is a programming error. */
export function encodeCursor<S extends CursorSort> (sort: S, key: readonly unknown[]): string {
  const token = tokenSchema(sort).parse({ s: sort, v: key })
  return Buffer.from(JSON.stringify(token)).toString('base64url')
}

/** The sort key a cursor continues after; anything this API did not hand out for this sort is a 400. */
export function decodeCursor<S extends CursorSort> (token: string, sort: S): CursorKey<S> {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    throw invalid('cursor: not a cursor this API returned')
  }
  const result = tokenSchema(sort).safeParse(parsed)
  if (!result.success) {
    const what = sort === 'posts' ? 'the posts list' : `sort=${sort}`
    throw invalid(`cursor: not a cursor for ${what} (pass the same filters and sort as the first page)`)
  }
  return (result.data as { v: unknown }).v as CursorKey<S>
}
