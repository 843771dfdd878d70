// Builds data/catalogue/brands.jsonl, the brand and organisation catalogue
// that ships with groundstream, from two sources:
//   - the `simple-icons` npm package (CC0-1.0): brand titles, aliases, slugs;
//   - data/catalogue/curated.jsonl, written by the project: official handles,
//     aliases, types and one-line descriptions of well-known brands, clubs,
//     leagues, people and events, merged onto a Simple Icons entry when
//     `simpleIcons` names its slug, and `exclude` lines for Simple Icons
//     entries whose bare name is ambiguous.
// Every output line says where it came from (`source`). Run after upgrading
// simple-icons or editing the curated file:  node scripts/build-catalogue.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import process from 'node:process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { URL, fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
// The data file is not in the package's exports map; it sits beside the entry point.
const iconsDir = path.dirname(require.resolve('simple-icons'))
const iconsFile = path.join(iconsDir, 'data', 'simple-icons.json')
const iconsVersion = JSON.parse(readFileSync(path.join(iconsDir, 'package.json'), 'utf8')).version
const loaded = JSON.parse(readFileSync(iconsFile, 'utf8'))
const icons = Array.isArray(loaded) ? loaded : loaded.icons
const curatedFile = path.join(root, 'data', 'catalogue', 'curated.jsonl')
const outFile = path.join(root, 'data', 'catalogue', 'brands.jsonl')

/** Letters and digits only, lower-cased: how short or odd titles are judged. */
const squash = (text) => text.normalize('NFKD').replace(/[^\p{L}\p{N}]/gu, '').toLowerCase()
/** Titles shorter than this (after squashing) are too ambiguous to ship unless curated (`X`, `G2`). */
const MIN_GENERATED_NAME = 3

const curated = []
const excluded = new Set()
readFileSync(curatedFile, 'utf8').split('\n').forEach((line, index) => {
  if (line.trim().length === 0) return
  const entry = JSON.parse(line)
  if (typeof entry.exclude === 'string') {
    excluded.add(entry.exclude)
    return
  }
  for (const field of ['id', 'name', 'type', 'description']) {
    if (typeof entry[field] !== 'string' || entry[field].length === 0) throw new Error(`${curatedFile}:${index + 1}: ${field} is required`)
  }
  curated.push(entry)
})

const bySlug = new Map(icons.map((icon) => [icon.slug, icon]))
const mergedSlugs = new Set()
const lines = []
for (const entry of curated) {
  const icon = entry.simpleIcons === undefined ? undefined : bySlug.get(entry.simpleIcons)
  if (entry.simpleIcons !== undefined && icon === undefined) throw new Error(`curated ${entry.id}: no Simple Icons slug ${entry.simpleIcons}`)
  if (icon !== undefined) mergedSlugs.add(icon.slug)
  const aliases = [...new Set([...(entry.aliases ?? []), ...(icon === undefined || squash(icon.title) === squash(entry.name) ? [] : [icon.title])])]
  lines.push({
    id: entry.id,
    name: entry.name,
    aliases,
    handles: entry.handles ?? [],
    type: entry.type,
    description: entry.description,
    source: icon === undefined ? 'curated' : `curated+simple-icons:${icon.slug}`
  })
}

const takenIds = new Set(lines.map((line) => line.id))
let generated = 0
for (const icon of icons) {
  if (mergedSlugs.has(icon.slug) || excluded.has(icon.slug)) continue
  if (squash(icon.title).length < MIN_GENERATED_NAME || !/\p{L}/u.test(icon.title)) continue
  const id = `gs:${icon.slug}`
  if (takenIds.has(id)) continue
  takenIds.add(id)
  const aka = icon.aliases?.aka ?? []
  const localised = Object.values(icon.aliases?.loc ?? {})
  const aliases = [...new Set([...aka, ...localised])].filter((alias) => squash(alias).length >= MIN_GENERATED_NAME && alias !== icon.title)
  let host = ''
  try {
    const url = new URL(icon.source)
    if (!/github|wikimedia|wikipedia|gitlab|figma|dribbble|behance/.test(url.hostname)) host = ` (${url.hostname.replace(/^www\d?\./, '')})`
  } catch {
    host = ''
  }
  lines.push({ id, name: icon.title, aliases, handles: [], type: 'ORG', description: `Brand or product with a logo in Simple Icons${host}`, source: `simple-icons:${icon.slug}` })
  generated++
}

writeFileSync(outFile, lines.map((line) => JSON.stringify(line)).join('\n') + '\n')
process.stdout.write(`${outFile}: ${lines.length} entries (${curated.length} curated, ${mergedSlugs.size} of them merged with Simple Icons; ${generated} from simple-icons ${iconsVersion}; ${excluded.size} excluded)\n`)
