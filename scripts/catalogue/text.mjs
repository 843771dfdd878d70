// Name helpers shared by the catalogue builders. They mirror
// src/contracts/entity-names.ts (the runtime keys) closely enough to judge
// collisions at build time without importing the TypeScript sources.

/** Letters and digits only, accents dropped, lower case (`Open 24 Hours` -> `open24hours`). */
export function squash (text) {
  return text.normalize('NFKD').replace(/[^\p{L}\p{N}]/gu, '').toLowerCase()
}

/** How many letters and digits a name has, counted as written (`현대` is 2, `Kraków` 6). */
export function letterCount (text) {
  return [...text.normalize('NFC').replace(/[^\p{L}\p{N}]/gu, '')].length
}

/** Case- and accent-folded, spaces collapsed: how the runtime keys a name (`İstanbul` -> `istanbul`). */
export function fold (text) {
  return text
    .normalize('NFD').replace(/[\u0300-\u036f]/gu, '').normalize('NFC')
    .toLowerCase()
    .replace(/ß/gu, 'ss')
    .replace(/[’‘`]/gu, "'")
    .replace(/\s+/gu, ' ')
    .trim()
}

/** Lower-case ASCII slug for ids (`Fenerbahçe İstanbul` -> `fenerbahce-istanbul`). */
export function slug (text) {
  return fold(text).replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/gu, '')
}

/** Unique strings in first-seen order, dropping empty ones and any equal (folded) to `except`. */
export function uniqueNames (names, except = []) {
  const seen = new Set(except.map(fold))
  const out = []
  for (const name of names) {
    const clean = typeof name === 'string' ? name.replace(/\s+/gu, ' ').trim() : ''
    const key = fold(clean)
    if (key.length === 0 || seen.has(key)) continue
    seen.add(key)
    out.push(clean)
  }
  return out
}

/** Compares strings by code unit, so sorting does not depend on the machine's locale. */
export function byCodeUnit (a, b) {
  return a < b ? -1 : a > b ? 1 : 0
}
