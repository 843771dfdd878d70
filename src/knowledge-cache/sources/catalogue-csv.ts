// The user's catalogue as CSV, for brand teams who keep their list in a
// spreadsheet: a header row naming the columns (any order, any case), one
// entity a row. Columns are the JSONL fields (docs/catalogue.md); `aliases`
// and `handles` hold several values separated by `|`; `ambiguous` is
// true/false (yes/no, 1/0); an empty cell is an absent field. Each row is
// validated by the same schema as a JSONL line, and every problem is named by
// file and line.
import { parse } from 'csv-parse/sync'
import type { CatalogueEntry } from './catalogue.js'
import { validateCatalogue, type CatalogueRecord } from './catalogue.js'

const LIST_COLUMNS = new Set(['aliases', 'handles'])
const TEXT_COLUMNS = new Set(['id', 'name', 'type', 'brand', 'description', 'source'])
const COLUMNS = [...TEXT_COLUMNS, ...LIST_COLUMNS, 'ambiguous']
const TRUE_WORDS = new Set(['true', 'yes', '1'])
const FALSE_WORDS = new Set(['false', 'no', '0'])

/** Separator of several aliases or handles in one cell. */
export const CSV_LIST_SEPARATOR = '|'

interface CsvRow {
  record: string[]
  info: { lines: number }
}

function cellValue (column: string, cell: string): unknown {
  if (LIST_COLUMNS.has(column)) return cell.split(CSV_LIST_SEPARATOR).map((part) => part.trim()).filter((part) => part.length > 0)
  if (column === 'ambiguous') {
    const word = cell.toLowerCase()
    return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : cell
  }
  return cell
}

export function parseCatalogueCsv (text: string, file = '<catalogue.csv>'): CatalogueEntry[] {
  let rows: CsvRow[]
  try {
    // csv-parse's types do not model `info: true` (each record comes with the line it ends on).
    rows = parse(text.replace(/^\uFEFF/u, ''), { info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as CsvRow[]
  } catch (error) {
    const line = (error as { lines?: number }).lines
    return validateCatalogue([], [`${file}${line === undefined ? '' : `:${line}`}: not CSV (${(error as Error).message})`], file)
  }
  const [header, ...body] = rows
  if (header === undefined) return []
  const columns = header.record.map((name) => name.toLowerCase())
  const unknown = columns.filter((name) => !COLUMNS.includes(name))
  if (unknown.length > 0 || !columns.includes('name')) {
    const problem = unknown.length > 0 ? `unknown column ${unknown.join(', ')} (columns: ${COLUMNS.join(', ')})` : 'no `name` column in the header'
    return validateCatalogue([], [`${file}:${header.info.lines}: ${problem}`], file)
  }
  const records: CatalogueRecord[] = []
  const undecoded: string[] = []
  for (const { record, info } of body) {
    if (record.length > columns.length) {
      undecoded.push(`${file}:${info.lines}: ${record.length} cells, the header names ${columns.length}`)
      continue
    }
    const value: Record<string, unknown> = {}
    record.forEach((cell, i) => {
      const column = columns[i] as string
      if (cell.length > 0) value[column] = cellValue(column, cell)
    })
    records.push({ line: info.lines, value })
  }
  return validateCatalogue(records, undecoded, file)
}
