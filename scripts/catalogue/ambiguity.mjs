// Which names of a bulk import (clubs, NSI brands) may link. A bulk source
// knows nothing about what else a name means, so the strict side is taken:
//   - a name shorter than MIN_BULK_NAME letters (`DIA`, `BP`), an ordinary
//     word, a first name, a country or a city (common-names.mjs), or a name
//     two imported entities share (`Arsenal`: London, Tula, Kyiv), does not
//     link by itself: an alias like that is dropped, and a main name like
//     that is marked `ambiguous` (the entry still links by its other names
//     and its official handle; with neither, it is left out);
//   - a lower-case alias made only of such words (`the source`) is dropped too;
//   - a name the curated list already uses belongs to the curated entry
//     (curated wins), and an NSI brand whose name is a Simple Icons title is
//     merged onto that entry, which keeps its `gs:` id.
import { fold, letterCount } from './text.mjs'

/** Imported names with fewer letters and digits than this are acronyms that collide across countries. */
export const MIN_BULK_NAME = 4

/**
 * Why a bulk name may not link, or null when it may.
 * @param {string} name
 * @param {{ common: { reason: (name: string) => string | null }, owners: Map<string, Set<string>>, claimed: Map<string, { id: string, curated: boolean }> }} context
 */
export function nameProblem (name, { common, owners, claimed }) {
  const key = fold(name)
  if (letterCount(name) < MIN_BULK_NAME || !/\p{L}/u.test(name)) return 'short'
  if (claimed.has(key)) return 'taken'
  if ((owners.get(key)?.size ?? 0) > 1) return 'shared'
  return common.reason(name) === null ? null : 'common'
}

/**
 * A lower-case alias made only of common words (NSI `matchNames` such as
 * `the source`, `shell gas station`): a phrase, not a name. Capitalised
 * names of common words (`Crystal Palace`, `Real Madrid`) are names.
 */
export function isPhraseOfWords (name, common) {
  const words = name.split(/[\s-]+/u).filter((word) => word.length > 0)
  return words.length > 1 && !/\p{Lu}/u.test(name) && words.every((word) => common.reason(word) !== null)
}

/** Folded name -> the ids of the bulk entries that use it. */
export function nameOwners (entries) {
  const owners = new Map()
  for (const entry of entries) {
    for (const name of [entry.name, ...entry.aliases]) {
      const key = fold(name)
      if (!owners.has(key)) owners.set(key, new Set())
      owners.get(key).add(entry.id)
    }
  }
  return owners
}

/**
 * Applies the rules to bulk entries in order. `claimed` (folded name ->
 * { id, curated }) holds the names of the entries before them and grows with
 * each one kept; `iconTitles` (folded title -> id) the Simple Icons entries an
 * NSI brand of the same name merges onto.
 * @returns {{ kept: object[], merges: {target: string, entry: object}[], counts: Record<string, number> }}
 */
export function resolveBulk (entries, { common, claimed, iconTitles }) {
  const owners = nameOwners(entries)
  const counts = { kept: 0, ambiguous: 0, curatedWins: 0, merged: 0, dropped: 0, aliasesDropped: 0 }
  const kept = []
  const merges = []
  for (const entry of entries) {
    const key = fold(entry.name)
    if (claimed.get(key)?.curated === true) {
      counts.curatedWins++
      continue
    }
    const aliases = entry.aliases.filter((alias) => nameProblem(alias, { common, owners, claimed }) === null && !isPhraseOfWords(alias, common))
    counts.aliasesDropped += entry.aliases.length - aliases.length
    if (iconTitles.has(key) && entry.source.startsWith('nsi:') && (owners.get(key)?.size ?? 0) === 1) {
      merges.push({ target: iconTitles.get(key), entry: { ...entry, aliases } })
      counts.merged++
      continue
    }
    const ambiguous = nameProblem(entry.name, { common, owners, claimed }) !== null
    if (ambiguous && aliases.length === 0 && entry.handles.length === 0) {
      counts.dropped++
      continue
    }
    for (const name of ambiguous ? aliases : [entry.name, ...aliases]) claimed.set(fold(name), { id: entry.id, curated: false })
    kept.push(ambiguous ? { ...entry, aliases, ambiguous: true } : { ...entry, aliases })
    counts.kept++
    if (ambiguous) counts.ambiguous++
  }
  return { kept, merges, counts }
}
