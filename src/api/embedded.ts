// The API's entity store without a cluster (`groundstream serve --from
// FILE`): the entity documents of a JSONL file loaded into an in-memory
// SQLite database (sql.js: SQLite compiled to WebAssembly, no native build),
// with FTS4 full-text tables (the SQL is embedded-sql.ts) for `q` (entity text, canonical title) and
// `text` (post text, its phrases and AND/OR/NOT as SQL over FTS phrases). Every endpoint is one or
// two SQL queries with the same filters, sorts, limits and answer shapes as
// the Elasticsearch backend; test/api runs the same tests against both.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import initSqlJs, { type Database, type SqlValue } from 'sql.js'
import { entityIndexKey, type EntityDocument } from '../contracts/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import type { ApiLimits } from './config.js'
import {
  brandKey,
  parseDurationMs,
  type CooccurringRequest,
  type MentionsRequest,
  type PostsRequest,
  type TimelineRequest,
  type TrendingRequest
} from './requests.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { groupByPost, type CooccurringAnswer, type ExtentAnswer, type MentionsAnswer, type PostView, type PostsAnswer, type ReadyState, type SearchBackend, type TimelineAnswer, type TrendingAnswer } from './backend.js'
import { rankTrending, resolveInterval, resolveRange, trendingWindows } from './query-rules.js'
import { GROUP_COLUMNS, SCHEMA, SUMMARY_JOINS, SUMMARY_SELECT, buildWhere, summarySql, toSummary, type Row } from './embedded-sql.js'

export interface EmbeddedSearchOptions {
  limits: ApiLimits
  /** The clock; `serve --from` anchors it just after the newest post so the file's own time is "now". */
  now?: () => Date
}

export interface LoadResult {
  /** Non-empty lines read. */
  lines: number
  documents: number
  /** Lines that were not entity documents (skipped, counted). */
  skipped: number
  /** Skipped lines by reason. */
  reasons: Record<string, number>
  /** The first few skipped lines: 1-based line number and reason. */
  firstSkipped: Array<{ line: number, reason: string }>
}

const FIRST_SKIPPED = 3

/** Why a line of a documents file is not an entity document. */
function skipReason (value: unknown): string {
  const post = value as { text?: unknown, entity?: unknown } | null
  if (typeof post === 'object' && post !== null && typeof post.text === 'string' && post.entity === undefined) {
    return 'a post, not an entity document (serve --from reads what groundstream run writes, e.g. out/entities.jsonl)'
  }
  return 'not an entity document (JSON without the id, post_id, entity and post fields of one)'
}

function isEntityDocument (value: unknown): value is EntityDocument {
  const doc = value as Partial<EntityDocument> | null
  return typeof doc === 'object' && doc !== null && typeof doc.id === 'string' && typeof doc.post_id === 'string' &&
    typeof doc.entity?.normalised === 'string' && typeof doc.entity.text === 'string' && typeof doc.entity.type === 'string' &&
    typeof doc.entity.score === 'number' && typeof doc.entity.start === 'number' &&
    typeof doc.post?.created_at === 'string' && Number.isFinite(Date.parse(doc.post.created_at)) && typeof doc.post.text === 'string'
}

export class EmbeddedSearch implements SearchBackend {
  readonly kind = 'embedded' as const
  private readonly db: Database
  private readonly limits: ApiLimits
  private readonly clock: () => Date
  private closed = false

  private constructor (db: Database, options: EmbeddedSearchOptions) {
    this.db = db
    this.limits = options.limits
    this.clock = options.now ?? (() => new Date())
  }

  static async open (options: EmbeddedSearchOptions): Promise<EmbeddedSearch> {
    let SQL
    try {
      SQL = await initSqlJs()
    } catch (error) {
      throw new GroundstreamError('GS_ERR_CONFIG', `cannot start the embedded SQLite engine: ${errorMessage(error)}`, { cause: error })
    }
    const db = new SQL.Database()
    db.exec(SCHEMA)
    return new EmbeddedSearch(db, options)
  }

  /** Adds documents (a document id seen before replaces the earlier one, as in Elasticsearch). */
  add (docs: readonly EntityDocument[]): void {
    const insert = this.db.prepare(`INSERT INTO mentions (id, post_id, created_ms, normalised, text, type, mention_kind, score, start, canonical_id, canonical_title, brand, brand_key, has_box, doc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET post_id = excluded.post_id, created_ms = excluded.created_ms, normalised = excluded.normalised, text = excluded.text,
        type = excluded.type, mention_kind = excluded.mention_kind, score = excluded.score, start = excluded.start, canonical_id = excluded.canonical_id,
        canonical_title = excluded.canonical_title, brand = excluded.brand, brand_key = excluded.brand_key, has_box = excluded.has_box, doc = excluded.doc
      RETURNING rowid`)
    const deleteText = this.db.prepare('DELETE FROM mention_text WHERE docid = ?')
    const insertText = this.db.prepare('INSERT INTO mention_text (docid, entity_text, canonical_title) VALUES (?, ?, ?)')
    const deleteWords = this.db.prepare('DELETE FROM post_words WHERE docid = ?')
    const insertWords = this.db.prepare('INSERT INTO post_words (docid, post_text) VALUES (?, ?)')
    this.db.exec('BEGIN')
    try {
      for (const doc of docs) {
        // Documents written before entity.brand existed have none.
        const brand = doc.entity.brand ?? null
        insert.bind([doc.id, doc.post_id, Date.parse(doc.post.created_at), doc.entity.normalised, doc.entity.text, doc.entity.type, doc.entity.mention_kind ?? 'text', doc.entity.score,
          doc.entity.start, doc.entity.canonical_id ?? null, doc.entity.canonical_title ?? null, brand, brand === null ? null : brandKey(brand),
          doc.box === null || doc.box === undefined ? 0 : 1, JSON.stringify(doc)])
        insert.step()
        const rowid = insert.get()[0] as number
        insert.reset()
        deleteText.run([rowid])
        insertText.run([rowid, doc.entity.text, doc.entity.canonical_title ?? ''])
        deleteWords.run([rowid])
        insertWords.run([rowid, doc.post.text])
      }
      this.db.exec('COMMIT')
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    } finally {
      insert.free()
      deleteText.free()
      insertText.free()
      deleteWords.free()
      insertWords.free()
    }
  }

  /**
   * Loads a JSONL file of entity documents (what `groundstream run` writes).
   * `imageUrl` may rewrite each document's image URL (to serve local images).
   */
  async loadFile (path: string, imageUrl?: (url: string) => string): Promise<LoadResult> {
    let documents = 0
    let skipped = 0
    let read = 0
    let number = 0
    const reasons: Record<string, number> = {}
    const firstSkipped: LoadResult['firstSkipped'] = []
    const skip = (reason: string): void => {
      skipped++
      reasons[reason] = (reasons[reason] ?? 0) + 1
      if (firstSkipped.length < FIRST_SKIPPED) firstSkipped.push({ line: number, reason })
    }
    let batch: EntityDocument[] = []
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
    try {
      for await (const line of lines) {
        number++
        if (line.trim() === '') continue
        read++
        let value: unknown
        try {
          value = JSON.parse(line)
        } catch {
          skip('not JSON')
          continue
        }
        if (!isEntityDocument(value)) {
          skip(skipReason(value))
          continue
        }
        if (imageUrl !== undefined && value.image?.url !== null && value.image?.url !== undefined) value.image.url = imageUrl(value.image.url)
        batch.push(value)
        documents++
        if (batch.length >= 1000) {
          this.add(batch)
          batch = []
        }
      }
    } catch (error) {
      throw new GroundstreamError('GS_ERR_USAGE', `cannot read entity documents from ${path}: ${errorMessage(error)}`, { cause: error, details: { path } })
    }
    this.add(batch)
    return { lines: read, documents, skipped, reasons, firstSkipped }
  }

  private rows (sql: string, params: SqlValue[] = []): Row[] {
    if (this.closed) throw new GroundstreamError('GS_ERR_SEARCH', 'the embedded store is closed')
    const statement = this.db.prepare(sql)
    try {
      statement.bind(params)
      const out: Row[] = []
      while (statement.step()) out.push(statement.getAsObject())
      return out
    } finally {
      statement.free()
    }
  }

  private now (): Date {
    return this.clock()
  }

  async ready (): Promise<ReadyState> {
    const count = this.closed ? 0 : Number(this.rows('SELECT count(*) AS n FROM mentions')[0]?.n ?? 0)
    return { ok: !this.closed, index: !this.closed, documents: count }
  }

  async extent (): Promise<ExtentAnswer> {
    const row = this.rows('SELECT count(*) AS n, min(created_ms) AS first, max(created_ms) AS last FROM mentions')[0] ?? {}
    const iso = (value: SqlValue | undefined): string | null => (typeof value === 'number' ? new Date(value).toISOString() : null)
    return { now: this.now().toISOString(), documents: Number(row.n ?? 0), first: iso(row.first), last: iso(row.last) }
  }

  async mentions (request: MentionsRequest): Promise<MentionsAnswer> {
    const sortName = request.sort ?? (request.q === undefined ? 'recent' : 'relevance')
    const where = buildWhere(request)
    const keys: Array<[string, 'ASC' | 'DESC']> = sortName === 'recent'
      ? [['m.created_ms', 'DESC'], ['m.id', 'ASC']]
      : sortName === 'relevance'
        ? [['rel', 'DESC'], ['m.created_ms', 'DESC'], ['m.id', 'ASC']]
        : [['m.score', 'DESC'], ['m.created_ms', 'DESC'], ['m.id', 'ASC']]
    let after = ''
    const afterParams: SqlValue[] = []
    if (request.cursor !== undefined) {
      // Keyset pagination over the same sort keys as Elasticsearch's search_after.
      const values = decodeCursor(request.cursor, sortName)
      const ors = keys.map(([, direction], i) => {
        const equal = keys.slice(0, i).map(([column]) => `${column} = ?`)
        return `(${[...equal, `${keys[i]?.[0] ?? ''} ${direction === 'DESC' ? '<' : '>'} ?`].join(' AND ')})`
      })
      after = `WHERE ${ors.join(' OR ')}`
      keys.forEach((_key, i) => { afterParams.push(...values.slice(0, i + 1)) })
    }
    const base = `SELECT m.doc, m.created_ms, m.id, m.score, ${where.relevance} AS rel FROM mentions m WHERE ${where.sql}`
    const found = this.rows(
      `SELECT * FROM (${base}) m ${after} ORDER BY ${keys.map(([column, direction]) => `${column.replace('m.', '')} ${direction}`).join(', ')} LIMIT ?`,
      // One more than the page: whether another page follows, so `next` is null on the last one.
      [...where.relevanceParams, ...where.params, ...afterParams, request.size + 1]
    )
    const more = found.length > request.size
    const page = found.slice(0, request.size)
    const cap = this.limits.trackTotalHitsUpTo
    const counted = Number(this.rows(`SELECT count(*) AS n FROM (SELECT 1 FROM mentions m WHERE ${where.sql} LIMIT ?)`, [...where.params, cap + 1])[0]?.n ?? 0)
    const mentions = page.map((row) => ({ ...(JSON.parse(String(row.doc)) as EntityDocument), _score: sortName === 'relevance' ? Number(row.rel) : null }))
    const last = page[page.length - 1]
    const sortValues = (row: Row): Array<string | number> => sortName === 'recent'
      ? [Number(row.created_ms), String(row.id)]
      : [sortName === 'relevance' ? Number(row.rel) : Number(row.score), Number(row.created_ms), String(row.id)]
    return {
      total: counted > cap ? { value: cap, relation: 'gte' } : { value: counted, relation: 'eq' },
      mentions,
      next: more && last !== undefined ? encodeCursor(sortName, sortValues(last)) : null,
      timed_out: false
    }
  }

  async timeline (request: TimelineRequest): Promise<TimelineAnswer> {
    const { from, to } = resolveRange(this.limits, this.now(), request.from, request.to, 7)
    const interval = resolveInterval(this.limits, request.interval, from, to)
    const step = parseDurationMs(interval)
    const where = buildWhere({ ...request, from, to })
    // Buckets start at multiples of the interval since the epoch, as Elasticsearch's fixed_interval does.
    const counts = this.rows(`SELECT (m.created_ms / ?) * ? AS bucket, count(*) AS n FROM mentions m WHERE ${where.sql} GROUP BY bucket`, [step, step, ...where.params])
    const byBucket = new Map(counts.map((row) => [Number(row.bucket), Number(row.n)]))
    const buckets: TimelineAnswer['buckets'] = []
    for (let t = Math.floor(from.getTime() / step) * step; t <= to.getTime() - 1; t += step) {
      buckets.push({ time: new Date(t).toISOString(), count: byBucket.get(t) ?? 0 })
    }
    return {
      interval,
      from: from.toISOString(),
      to: to.toISOString(),
      total: counts.reduce((sum, row) => sum + Number(row.n), 0),
      buckets,
      timed_out: false
    }
  }

  async trending (request: TrendingRequest): Promise<TrendingAnswer> {
    const { at, currentFrom, previousFrom, candidates } = trendingWindows(this.limits, this.now(), request)
    const where = buildWhere({ type: request.type, brand: request.brand, from: previousFrom, to: at })
    const group = GROUP_COLUMNS[request.by]
    // Mentions without the group's value (no brand) fall in no group, as in an Elasticsearch terms aggregation.
    const rows = this.rows(`
      WITH f AS (SELECT m.* FROM mentions m WHERE ${where.sql} AND m.${group} IS NOT NULL),
      g AS (
        SELECT ${group} AS grp, sum(CASE WHEN created_ms >= ? THEN 1 ELSE 0 END) AS current, count(*) AS total
        FROM f GROUP BY ${group} ORDER BY current DESC, ${group} ASC LIMIT ?
      ),
      ${summarySql('f', group)}
      SELECT g.grp, g.current, g.total, ${SUMMARY_SELECT} FROM g ${SUMMARY_JOINS}
    `, [...where.params, currentFrom.getTime(), candidates])
    return {
      window: { from: currentFrom.toISOString(), to: at.toISOString() },
      previous: { from: previousFrom.toISOString(), to: currentFrom.toISOString() },
      entities: rankTrending(rows.map((row) => ({ ...toSummary(row), current: Number(row.current), total: Number(row.total) })), request),
      timed_out: false
    }
  }

  async cooccurring (request: CooccurringRequest): Promise<CooccurringAnswer> {
    const { from, to } = resolveRange(this.limits, this.now(), request.from, request.to, 30)
    const subject = buildWhere({ entity: request.entity, canonical_id: request.canonical_id, brand: request.brand, from, to })
    const posts = this.rows(`SELECT m.post_id, max(m.created_ms) AS latest FROM mentions m WHERE ${subject.sql} GROUP BY m.post_id ORDER BY latest DESC, m.post_id ASC LIMIT ?`,
      [...subject.params, this.limits.maxCooccurrencePosts]).map((row) => String(row.post_id))
    if (posts.length === 0) return { posts_considered: 0, entities: [], timed_out: false }
    const others = buildWhere({ post_id: posts, type: request.type })
    const exclude: string[] = []
    const excludeParams: SqlValue[] = []
    if (request.entity !== undefined) {
      exclude.push(`m.normalised NOT IN (${request.entity.map(() => '?').join(', ')})`)
      excludeParams.push(...request.entity.map(entityIndexKey))
    }
    if (request.canonical_id !== undefined) {
      exclude.push(`(m.canonical_id IS NULL OR m.canonical_id NOT IN (${request.canonical_id.map(() => '?').join(', ')}))`)
      excludeParams.push(...request.canonical_id)
    }
    if (request.brand !== undefined) {
      exclude.push(`(m.brand_key IS NULL OR m.brand_key NOT IN (${request.brand.map(() => '?').join(', ')}))`)
      excludeParams.push(...request.brand.map(brandKey))
    }
    const rows = this.rows(`
      WITH f AS (SELECT m.* FROM mentions m WHERE ${others.sql}${exclude.length === 0 ? '' : ` AND ${exclude.join(' AND ')}`}),
      g AS (
        SELECT normalised AS grp, count(DISTINCT post_id) AS posts, count(*) AS mentions
        FROM f GROUP BY normalised ORDER BY posts DESC, normalised ASC LIMIT ?
      ),
      ${summarySql('f', GROUP_COLUMNS.entity)}
      SELECT g.grp, g.posts, g.mentions, ${SUMMARY_SELECT} FROM g ${SUMMARY_JOINS} ORDER BY g.posts DESC, g.grp ASC
    `, [...others.params, ...excludeParams, request.size])
    return {
      posts_considered: posts.length,
      entities: rows.map((row) => ({ ...toSummary(row), posts: Number(row.posts), mentions: Number(row.mentions) })),
      timed_out: false
    }
  }

  async recentPosts (request: PostsRequest): Promise<PostsAnswer> {
    const where = buildWhere(request)
    // Keyset paging on the posts' sort key [created_at, post_id], as the Elasticsearch backend does.
    let after = ''
    const afterParams: SqlValue[] = []
    if (request.cursor !== undefined) {
      const [millis, postId] = decodeCursor(request.cursor, 'posts')
      after = 'HAVING created < ? OR (created = ? AND m.post_id > ?)'
      afterParams.push(millis, millis, postId)
    }
    const found = this.rows(`SELECT m.post_id, max(m.created_ms) AS created FROM mentions m WHERE ${where.sql} GROUP BY m.post_id ${after} ORDER BY created DESC, m.post_id ASC LIMIT ?`,
      [...where.params, ...afterParams, request.size + 1])
    const counted = Number(this.rows(`SELECT count(DISTINCT m.post_id) AS n FROM mentions m WHERE ${where.sql}`, where.params)[0]?.n ?? 0)
    const total = { value: counted, relation: 'eq' as const }
    const picked = found.slice(0, request.size)
    if (picked.length === 0) return { total, posts: [], next: null, timed_out: false }
    const ids = picked.map((row) => String(row.post_id))
    const docs = this.rows(`SELECT doc FROM mentions WHERE post_id IN (${ids.map(() => '?').join(', ')}) ORDER BY start ASC, id ASC`, ids)
    const byPost = groupByPost(docs.map((row) => JSON.parse(String(row.doc)) as EntityDocument))
    const last = picked[picked.length - 1]
    return {
      total,
      posts: ids.map((id) => byPost.get(id)).filter((p): p is PostView => p !== undefined),
      next: found.length > request.size && last !== undefined ? encodeCursor('posts', [Number(last.created), String(last.post_id)]) : null,
      timed_out: false
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
