/* global document, Blob, URL, setTimeout */
// Export of what is on screen: one row per entity mention of the listed
// posts, as CSV (RFC 4180 quoting) or JSON, downloaded from a Blob.

const COLUMNS = ['post_id', 'created_at', 'author_handle', 'post_url', 'entity', 'normalised', 'type', 'score', 'canonical_id', 'canonical_title', 'brand', 'box', 'image_url', 'post_text']

/** The listed posts as flat rows, one per mention. */
export function rowsOf (posts) {
  return posts.flatMap((post) => post.entities.map((e) => ({
    post_id: post.post_id,
    created_at: post.created_at,
    author_handle: post.author_handle ?? '',
    post_url: post.url ?? '',
    entity: e.text,
    normalised: e.normalised,
    type: e.type,
    score: e.score,
    canonical_id: e.canonical_id ?? '',
    canonical_title: e.canonical_title ?? '',
    brand: e.brand ?? '',
    box: e.box ? [e.box.x, e.box.y, e.box.w, e.box.h].map((v) => v.toFixed(4)).join(' ') : '',
    image_url: post.image?.url ?? '',
    post_text: post.text
  })))
}

/**
 * One CSV cell. Text starting with =, +, -, @, a tab or a carriage return is
 * what a spreadsheet runs as a formula (a post reading `=HYPERLINK(...)`):
 * such a cell gets a leading apostrophe, so it is shown as the text it is.
 * Numbers are written as they are.
 */
function csvCell (value) {
  const raw = String(value)
  const text = typeof value !== 'number' && /^[=+\-@\t\r]/u.test(raw) ? `'${raw}` : raw
  return /[",\n\r]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text
}

export function toCsv (rows) {
  return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((c) => csvCell(row[c])).join(','))].join('\r\n') + '\r\n'
}

export function download (name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  // Revoked a little later: the download reads the Blob after click() returns.
  setTimeout(() => { URL.revokeObjectURL(url) }, 10_000)
}
