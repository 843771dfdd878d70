// The curated list (data/catalogue/curated.jsonl, written by the project) and
// Simple Icons (npm `simple-icons`, CC0-1.0): curated entries first, merged
// onto the Simple Icons entry whose slug they name; `exclude` lines drop
// Simple Icons entries whose bare name is ambiguous (`monster`).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { URL } from 'node:url'
import { squash } from './text.mjs'

const require = createRequire(import.meta.url)

/** Titles shorter than this (after squashing) are too ambiguous to ship unless curated (`X`, `G2`). */
export const MIN_GENERATED_NAME = 3

/** Fields a curated line may carry besides the entry's own (`simpleIcons` names a slug to merge with). */
const CURATED_FIELDS = new Set(['id', 'name', 'aliases', 'handles', 'type', 'brand', 'description', 'simpleIcons'])

/**
 * Reads curated.jsonl: entries and `exclude` lines (`{"exclude": "<slug>", "why": "…"}`).
 * @returns {{ curated: object[], excluded: Set<string> }}
 */
export function readCurated (file) {
  const curated = []
  const excluded = new Set()
  readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
    if (line.trim().length === 0) return
    const where = `${file}:${index + 1}`
    let entry
    try {
      entry = JSON.parse(line)
    } catch {
      throw new Error(`${where}: not JSON`)
    }
    if (typeof entry.exclude === 'string') {
      excluded.add(entry.exclude)
      return
    }
    for (const field of ['id', 'name', 'type', 'description']) {
      if (typeof entry[field] !== 'string' || entry[field].length === 0) throw new Error(`${where}: ${field} is required`)
    }
    const unknown = Object.keys(entry).filter((field) => !CURATED_FIELDS.has(field))
    if (unknown.length > 0) throw new Error(`${where}: unknown field ${unknown.join(', ')}`)
    curated.push(entry)
  })
  return { curated, excluded }
}

/** The Simple Icons data file and version (the data file is not in the package's exports map; it sits beside the entry point). */
export function loadSimpleIcons () {
  const dir = path.dirname(require.resolve('simple-icons'))
  const loaded = JSON.parse(readFileSync(path.join(dir, 'data', 'simple-icons.json'), 'utf8'))
  const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version
  return { icons: Array.isArray(loaded) ? loaded : loaded.icons, version }
}

/** ` (site)` for an icon whose source is the brand's own site, not a code or design host. */
function hostOf (source) {
  try {
    const url = new URL(source)
    if (/github|wikimedia|wikipedia|gitlab|figma|dribbble|behance/u.test(url.hostname)) return ''
    return ` (${url.hostname.replace(/^www\d?\./u, '')})`
  } catch {
    return ''
  }
}

/**
 * Curated entries (merged with their Simple Icons entry) followed by the
 * remaining Simple Icons entries, in file and icon order.
 * @returns {{ curated: object[], icons: object[], merged: number, excluded: number }}
 */
export function curatedAndIcons (curatedList, excluded, icons) {
  const bySlug = new Map(icons.map((icon) => [icon.slug, icon]))
  const mergedSlugs = new Set()
  const curated = curatedList.map((entry) => {
    const icon = entry.simpleIcons === undefined ? undefined : bySlug.get(entry.simpleIcons)
    if (entry.simpleIcons !== undefined && icon === undefined) throw new Error(`curated ${entry.id}: no Simple Icons slug ${entry.simpleIcons}`)
    if (icon !== undefined) mergedSlugs.add(icon.slug)
    const aliases = [...new Set([...(entry.aliases ?? []), ...(icon === undefined || squash(icon.title) === squash(entry.name) ? [] : [icon.title])])]
    return {
      id: entry.id,
      name: entry.name,
      aliases,
      handles: entry.handles ?? [],
      type: entry.type,
      ...(entry.brand === undefined ? {} : { brand: entry.brand }),
      description: entry.description,
      source: icon === undefined ? 'curated' : `curated+simple-icons:${icon.slug}`
    }
  })
  const taken = new Set(curated.map((entry) => entry.id))
  const generated = []
  for (const icon of icons) {
    if (mergedSlugs.has(icon.slug) || excluded.has(icon.slug)) continue
    if (squash(icon.title).length < MIN_GENERATED_NAME || !/\p{L}/u.test(icon.title)) continue
    const id = `gs:${icon.slug}`
    if (taken.has(id)) continue
    taken.add(id)
    const aka = icon.aliases?.aka ?? []
    const localised = Object.values(icon.aliases?.loc ?? {})
    const aliases = [...new Set([...aka, ...localised])].filter((alias) => squash(alias).length >= MIN_GENERATED_NAME && alias !== icon.title)
    generated.push({ id, name: icon.title, aliases, handles: [], type: 'ORG', description: `Brand or product with a logo in Simple Icons${hostOf(icon.source)}`, source: `simple-icons:${icon.slug}` })
  }
  return { curated, icons: generated, merged: mergedSlugs.size, excluded: excluded.size }
}
