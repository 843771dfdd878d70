// The SQL the embedded store speaks (embedded.ts runs it on sql.js): the
// schema with its FTS4 tables, the one filter every endpoint shares, the
// entity-summary query, and rows read back into the API's answers.
import type { SqlValue } from 'sql.js'
import { entityIndexKey, type EntityType } from '../contracts/index.js'
import type { EntitySummary } from './backend.js'
import { brandKey, type FilterRequest, type TrendingGroup } from './requests.js'
import { textQueryToSql } from './text-query.js'

export const SCHEMA = `
  CREATE TABLE mentions (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    post_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    normalised TEXT NOT NULL,
    text TEXT NOT NULL,
    type TEXT NOT NULL,
    mention_kind TEXT NOT NULL,
    score REAL NOT NULL,
    start INTEGER NOT NULL,
    canonical_id TEXT,
    canonical_title TEXT,
    brand TEXT,
    brand_key TEXT,
    has_box INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX mentions_created ON mentions (created_ms DESC, id);
  CREATE INDEX mentions_normalised ON mentions (normalised);
  CREATE INDEX mentions_brand ON mentions (brand_key);
  CREATE INDEX mentions_post ON mentions (post_id, start);
  CREATE VIRTUAL TABLE mention_text USING fts4(entity_text, canonical_title, tokenize=unicode61);
  -- A table of its own: FTS4 phrases cannot be limited to one column. Accents are kept, as by Elasticsearch's standard analyzer.
  CREATE VIRTUAL TABLE post_words USING fts4(post_text, tokenize=unicode61 "remove_diacritics=0");
`

/** Words of a query as FTS4 terms for one column: every word must match (ES `operator: and`). */
export function ftsAll (column: string, query: string): string | null {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  if (words.length === 0) return null
  // Lower-cased words cannot be FTS operators (AND, OR, NOT, NEAR are upper case) and carry no syntax.
  return words.map((word) => `${column}:${word}`).join(' ')
}

export interface Where { sql: string, params: SqlValue[] }

/** The filter shared by every endpoint, as SQL over `mentions` (alias m). */
export function buildWhere (request: FilterRequest): Where & { relevance: string, relevanceParams: SqlValue[] } {
  const clauses: string[] = []
  const params: SqlValue[] = []
  let relevance = '0'
  const relevanceParams: SqlValue[] = []
  const inList = (column: string, values: readonly string[]): void => {
    clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`)
    params.push(...values)
  }
  if (request.q !== undefined) {
    const onText = ftsAll('entity_text', request.q)
    const onTitle = ftsAll('canonical_title', request.q)
    if (onText === null || onTitle === null) {
      clauses.push('0')
    } else {
      const textMatch = 'm.rowid IN (SELECT docid FROM mention_text WHERE mention_text MATCH ?)'
      const titleMatch = 'm.rowid IN (SELECT docid FROM mention_text WHERE mention_text MATCH ?)'
      clauses.push(`(${textMatch} OR ${titleMatch})`)
      params.push(onText, onTitle)
      // The same weights as the Elasticsearch query: the entity's text counts twice its canonical title.
      relevance = `(CASE WHEN ${textMatch} THEN 2 ELSE 0 END + CASE WHEN ${titleMatch} THEN 1 ELSE 0 END)`
      relevanceParams.push(onText, onTitle)
    }
  }
  if (request.text !== undefined) {
    const onPost = textQueryToSql(request.text, 'm.rowid IN (SELECT docid FROM post_words WHERE post_words MATCH ?)')
    clauses.push(onPost.sql)
    params.push(...onPost.params)
  }
  if (request.entity !== undefined) inList('m.normalised', request.entity.map(entityIndexKey))
  if (request.canonical_id !== undefined) inList('m.canonical_id', request.canonical_id)
  if (request.brand !== undefined) inList('m.brand_key', request.brand.map(brandKey))
  if (request.type !== undefined) inList('m.type', request.type)
  if (request.mention_kind !== undefined) inList('m.mention_kind', request.mention_kind)
  if (request.post_id !== undefined) inList('m.post_id', request.post_id)
  if (request.from !== undefined) { clauses.push('m.created_ms >= ?'); params.push(request.from.getTime()) }
  if (request.to !== undefined) { clauses.push('m.created_ms < ?'); params.push(request.to.getTime()) }
  if (request.has_box !== undefined) { clauses.push('m.has_box = ?'); params.push(request.has_box ? 1 : 0) }
  if (request.min_score !== undefined) { clauses.push('m.score >= ?'); params.push(request.min_score) }
  return { sql: clauses.length === 0 ? '1' : clauses.join(' AND '), params, relevance, relevanceParams }
}

/** The column each group is keyed by (Elasticsearch: entity.normalised, entity.brand.lower). */
export const GROUP_COLUMNS: Readonly<Record<TrendingGroup, string>> = Object.freeze({ entity: 'normalised', brand: 'brand_key' })

/** The most frequent value of `column` per group (ties: smallest value), like a size-1 terms aggregation. */
export const SUMMARY_COLUMNS = Object.freeze({ type: 'type', canonical_id: 'canonical_id', canonical_title: 'canonical_title', text: 'text', brand: 'brand' } as const)

/** CTEs `<name>_top (grp, value)` over the rows of `filtered`, grouped by the `group` column. */
export function summarySql (filtered: string, group: string): string {
  const parts = Object.entries(SUMMARY_COLUMNS).map(([name, column]) => `
    ${name}_top AS (
      SELECT grp, ${column} AS value FROM (
        SELECT ${group} AS grp, ${column}, row_number() OVER (PARTITION BY ${group} ORDER BY count(*) DESC, ${column} ASC) AS rn
        FROM ${filtered} WHERE ${column} IS NOT NULL GROUP BY ${group}, ${column}
      ) WHERE rn = 1
    )`)
  return parts.join(',')
}

/** Joins the summary CTEs onto `g`, whose key column is `grp`. */
export const SUMMARY_JOINS = Object.keys(SUMMARY_COLUMNS).map((name) => `LEFT JOIN ${name}_top ON ${name}_top.grp = g.grp`).join(' ')
export const SUMMARY_SELECT = Object.keys(SUMMARY_COLUMNS).map((name) => `${name}_top.value AS ${name}`).join(', ')

export type Row = Record<string, SqlValue>

export const textOrNull = (value: SqlValue | undefined): string | null => (value === null || value === undefined ? null : String(value))

export function toSummary (row: Row): EntitySummary {
  return {
    entity: String(row.grp),
    text: textOrNull(row.text),
    type: textOrNull(row.type) as EntityType | null,
    canonical_id: textOrNull(row.canonical_id),
    canonical_title: textOrNull(row.canonical_title),
    brand: textOrNull(row.brand)
  }
}
