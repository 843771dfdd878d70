// The viewer's CSV export (public/export.js) cannot plant a formula in a
// spreadsheet (issue 29, CSV injection): text cells that a spreadsheet would
// run get a leading apostrophe; numbers and plain text stay as they are.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { pathToFileURL } from 'node:url'
import { repoPath } from '../support/paths.js'

type Row = Record<string, unknown>
const { rowsOf, toCsv } = await import(pathToFileURL(repoPath('public', 'export.js')).href) as { rowsOf: (posts: unknown[]) => Row[], toCsv: (rows: Row[]) => string }

const post = (text: string, entity: string, score: number): unknown => ({
  post_id: 'p1', created_at: '2026-12-07T10:00:00Z', author_handle: '@someone', url: null, text, image: null,
  entities: [{ text: entity, normalised: entity.toLowerCase(), type: 'ORG', score, canonical_id: null, canonical_title: null, box: null }]
})

test('formula-looking text cells are neutralised, quoted where needed, numbers untouched', () => {
  const csv = toCsv(rowsOf([
    post('=HYPERLINK("http://evil.example","click")', '+Acme', 0.93),
    post('-2+3 apples', '@Acme', 0.5),
    post('plain, with a comma', 'Acme', 0.75)
  ]))
  const lines = csv.trimEnd().split('\r\n')
  assert.equal(lines.length, 4)
  assert.ok(lines[1]?.endsWith('"\'=HYPERLINK(""http://evil.example"",""click"")"'), lines[1])
  assert.match(lines[1] ?? '', /,'\+Acme,'\+acme,ORG,0\.93,/)
  assert.match(lines[2] ?? '', /,'@someone,/, 'a handle in the author column too')
  assert.match(lines[2] ?? '', /,'@Acme,'@acme,ORG,0\.5,/)
  assert.ok(lines[2]?.endsWith(",'-2+3 apples"), lines[2])
  assert.ok(lines[3]?.endsWith(',"plain, with a comma"'), lines[3])
  for (const line of lines.slice(1)) assert.doesNotMatch(line, /(^|,)[=+\-@]/u, line)
})
