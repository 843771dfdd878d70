// Export of a whole filtered result (`GET /api/v1/export`): every matching
// mention, newest first, as CSV (UTF-8 with a BOM so spreadsheets read the
// encoding, RFC 4180 quoting, formula-looking cells neutralised) or JSONL
// (one entity document per line, what `serve --from` reads back). It pages
// through the store with the API's cursor and is pulled by the response
// stream, so it never holds more than one page, whatever the result's size.
import { Readable } from 'node:stream'
import type { EntityDocument } from '../contracts/index.js'
import type { FilterRequest } from './requests.js'
import type { MentionHit, SearchBackend } from './backend.js'

export const EXPORT_FORMATS = Object.freeze(['csv', 'jsonl'] as const)
export type ExportFormat = typeof EXPORT_FORMATS[number]

export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = Object.freeze({
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8'
})

/** The CSV columns, one row per mention. */
export const CSV_COLUMNS = Object.freeze(['post_id', 'created_at', 'author_handle', 'post_url', 'entity', 'normalised', 'type', 'score', 'canonical_id',
  'canonical_title', 'brand', 'box', 'image_url', 'post_text'] as const)
type CsvRow = Record<typeof CSV_COLUMNS[number], string | number | null>

/** Mentions read from the store per page. */
export const EXPORT_PAGE_SIZE = 500

const BOM = '\uFEFF'

/**
 * One CSV cell. Text starting with =, +, -, @, a tab or a carriage return is
 * what a spreadsheet runs as a formula (a post reading `=HYPERLINK(...)`):
 * such a cell gets a leading apostrophe, so it shows as the text it is.
 * Numbers are written as they are; a cell with a quote, comma or line break
 * is quoted (RFC 4180).
 */
export function csvCell (value: string | number | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = /^[=+\-@\t\r]/u.test(value) ? `'${value}` : value
  return /[",\n\r]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text
}

export function csvLine (values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvCell).join(',')}\r\n`
}

export function csvRow (doc: EntityDocument): CsvRow {
  const box = doc.box
  return {
    post_id: doc.post_id,
    created_at: doc.post.created_at,
    author_handle: doc.post.author_handle,
    post_url: doc.post.url,
    entity: doc.entity.text,
    normalised: doc.entity.normalised,
    type: doc.entity.type,
    score: doc.entity.score,
    canonical_id: doc.entity.canonical_id ?? null,
    canonical_title: doc.entity.canonical_title ?? null,
    brand: doc.entity.brand ?? null,
    box: box === null || box === undefined ? null : [box.x, box.y, box.w, box.h].map((v) => v.toFixed(4)).join(' '),
    image_url: doc.image?.url ?? null,
    post_text: doc.post.text
  }
}

function line (format: ExportFormat, hit: MentionHit): string {
  const { _score: _omitted, ...doc } = hit
  if (format === 'jsonl') return `${JSON.stringify(doc)}\n`
  const row = csvRow(doc)
  return csvLine(CSV_COLUMNS.map((column) => row[column]))
}

/**
 * The export as a stream. The first page is read before it returns, so a
 * request the store refuses fails with its own status; a failure on a later
 * page ends the stream with an error (the client sees a cut-off download).
 */
export async function exportStream (search: SearchBackend, filters: FilterRequest, format: ExportFormat, signal?: AbortSignal, pageSize = EXPORT_PAGE_SIZE): Promise<Readable> {
  const request = { ...filters, sort: 'recent' as const, size: pageSize }
  const first = await search.mentions(request, signal)
  async function * lines (): AsyncGenerator<string> {
    if (format === 'csv') yield `${BOM}${csvLine(CSV_COLUMNS)}`
    let page = first
    for (;;) {
      if (page.mentions.length > 0) yield page.mentions.map((hit) => line(format, hit)).join('')
      if (page.next === null) return
      page = await search.mentions({ ...request, cursor: page.next }, signal)
    }
  }
  return Readable.from(lines(), { objectMode: false })
}

/** `groundstream-<the API's clock, YYYYMMDDHHmm UTC>.<csv|jsonl>`. */
export function exportFileName (format: ExportFormat, now: Date): string {
  return `groundstream-${now.toISOString().slice(0, 16).replace(/[-:T]/gu, '')}.${format}`
}

/** At most `max` exports at once: `take` gives a release function, or null when all slots are busy. */
export class ExportSlots {
  private busy = 0
  constructor (private readonly max: number) {}

  take (): (() => void) | null {
    if (this.busy >= this.max) return null
    this.busy++
    let released = false
    return () => {
      if (released) return
      released = true
      this.busy--
    }
  }
}
