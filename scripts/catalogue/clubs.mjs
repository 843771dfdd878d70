// Football clubs from the openfootball `clubs` data set (CC0 1.0; one
// `<code>.clubs.txt` per country). A club line is `Name, [year,] [@ stadium,]
// City (district)`; the `| alt | alt` lines under it are its other names
// (`Galatasaray | Galatasaray SK`), `[de]` marks a name in another language.
// `<code>.clubs.props.txt` tables add official Twitter accounts where a
// column has them; `<code>.clubs.lang.<xx>.txt` add native-script names.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { byCodeUnit, fold, slug, uniqueNames } from './text.mjs'

/** A club line's fields after the name: founding year, `@ stadium`, city (district). */
function cityOf (fields) {
  const places = fields.filter((field) => !/^\d{4}$/u.test(field) && !field.startsWith('@'))
  const city = places.at(-1)
  if (city === undefined) return null
  return city.split('›')[0].replace(/\(.*?\)/gu, '').trim() || null
}

/** `Name [de]` -> `Name`; `$$Medipol$$ Başakşehir FK` -> `Medipol Başakşehir FK`. */
function cleanName (text) {
  return text.replace(/\[[a-z]{2}\]/gu, '').replace(/\$/gu, '').replace(/\s+/gu, ' ').trim()
}

function stripComment (line) {
  const at = line.search(/(^|\s)#/u)
  return at === -1 ? line : line.slice(0, at)
}

/**
 * Parses one `*.clubs.txt` file.
 * @returns {{ name: string, city: string | null, alternatives: string[] }[]}
 */
export function parseClubs (text) {
  const clubs = []
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trimEnd()
    if (line.trim().length === 0 || line.startsWith('=')) continue
    const trimmed = line.trim()
    if (trimmed.startsWith('|')) {
      const club = clubs.at(-1)
      if (club === undefined) continue
      club.alternatives.push(...trimmed.split('|').map(cleanName).filter((name) => name.length > 0))
      continue
    }
    // Indented lines other than `|` are addresses; `ii) Bayern München II` are reserve teams.
    if (/^\s/u.test(line) || /^[ivx]+\)/u.test(trimmed)) continue
    const [name = '', ...fields] = trimmed.split(',').map((field) => field.trim())
    const clean = cleanName(name)
    if (clean.length === 0) continue
    clubs.push({ name: clean, city: cityOf(fields), alternatives: [] })
  }
  return clubs
}

/**
 * A props table (`Name, Web, Twitter`): club name -> Twitter account, when it has that column.
 * @returns {Map<string, string>} folded club name -> handle
 */
export function parseClubHandles (text) {
  const handles = new Map()
  let column = -1
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim()
    if (line.length === 0) continue
    const fields = line.split(',').map((field) => field.trim())
    if (fields[0] === 'Name') {
      column = fields.findIndex((field) => /^twitter$/iu.test(field))
      continue
    }
    const handle = column < 1 ? undefined : fields[column]?.replace(/^@/u, '')
    if (handle !== undefined && /^\w{1,15}$/u.test(handle)) handles.set(fold(fields[0] ?? ''), handle)
  }
  return handles
}

/** A `*.clubs.lang.xx.txt` file: `Name, native name` lines -> folded name -> native names. */
export function parseNativeNames (text) {
  const names = new Map()
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim()
    if (line.length === 0 || line.startsWith('=')) continue
    const [name = '', ...native] = line.split(',').map((field) => field.replace(/_/gu, ' ').trim())
    const list = native.filter((value) => value.length > 0)
    if (name.length > 0 && list.length > 0) names.set(fold(name), list)
  }
  return names
}

/**
 * One club as a catalogue entry (before the ambiguity pass): ORG, described
 * as `<Demonym> football club based in <city>`.
 */
export function clubEntry (club, { code, demonym, handle, nativeNames = [] }) {
  const names = uniqueNames([club.name, ...club.alternatives, ...nativeNames])
  const where = club.city === null ? '' : ` based in ${club.city}`
  return {
    id: `openfootball:${code}/${slug(club.name)}`,
    name: club.name,
    aliases: names.slice(1),
    handles: handle === undefined ? [] : [handle],
    type: 'ORG',
    description: `${demonym === undefined ? 'Football' : `${demonym} football`} club${where}`,
    source: `openfootball:${code}`
  }
}

function walk (dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => byCodeUnit(a.name, b.name))
    .flatMap((entry) => entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)])
}

/**
 * Every club of the data set, sorted by id; the same club listed twice in a country keeps its first line.
 * @returns {{ entries: object[], nativeLanguages: Map<string, number> }}
 */
export function loadClubs (dir, demonyms) {
  const files = walk(dir)
  const handles = new Map()
  const native = new Map()
  const nativeLanguages = new Map()
  for (const file of files) {
    const base = path.basename(file)
    const props = /^([a-z]+)\.clubs\.props\.txt$/u.exec(base)
    if (props !== null) handles.set(props[1], parseClubHandles(readFileSync(file, 'utf8')))
    const lang = /^([a-z]+)\.clubs\.lang\.([a-z]+)\.txt$/u.exec(base)
    if (lang !== null) native.set(lang[1], { language: lang[2], names: parseNativeNames(readFileSync(file, 'utf8')) })
  }
  const entries = new Map()
  for (const file of files) {
    const match = /^([a-z]+)\.clubs\.txt$/u.exec(path.basename(file))
    if (match === null) continue
    const code = match[1]
    for (const club of parseClubs(readFileSync(file, 'utf8'))) {
      const key = fold(club.name)
      const nativeNames = native.get(code)?.names.get(key) ?? []
      if (nativeNames.length > 0) {
        const language = native.get(code).language
        nativeLanguages.set(language, (nativeLanguages.get(language) ?? 0) + nativeNames.length)
      }
      const entry = clubEntry(club, { code, demonym: demonyms.get(code), handle: handles.get(code)?.get(key), nativeNames })
      if (!entries.has(entry.id)) entries.set(entry.id, entry)
    }
  }
  return { entries: [...entries.values()].sort((a, b) => byCodeUnit(a.id, b.id)), nativeLanguages }
}
