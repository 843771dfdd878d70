// Country facts from `world-countries` (names, official and alternative
// spellings, demonyms, capital, region, languages, currencies). The package's
// JSON is 1.4 MB; it is read once at init, reduced to short texts and dropped.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { GroundstreamError } from '../../errors/index.js'
import { normaliseEntityKey } from '../../contracts/index.js'
import { approximateBytes } from '../../shared/index.js'
import type { LinkOption } from '../../contracts/index.js'
import { firstSentence } from './describe.js'
import type { AliasGroup, KnowledgeSource, LinkQuery, SourceAnswer, SourceQuery } from './types.js'

interface WorldCountry {
  name: { common: string, official: string, native?: Record<string, { common: string, official: string }> }
  cca2: string
  cca3: string
  capital?: string[]
  altSpellings?: string[]
  region?: string
  subregion?: string
  languages?: Record<string, string>
  currencies?: Record<string, { name: string }>
  demonyms?: { eng?: { m?: string, f?: string } }
  independent?: boolean
  unMember?: boolean
}

interface CountryEntry {
  id: string
  title: string
  text: string
  demonymText: string | null
  aliases: string[]
}

/**
 * Three-letter codes that tweets use for countries (`PAK vs IND`). Not all
 * codes: `BEN` (Benin), `CAN`, `AND`, `PER` or `GIN` would capture names and
 * words that stage 1 proposes as candidates.
 */
const SPORTS_CODES: ReadonlySet<string> = new Set(['USA', 'PAK', 'IND', 'AUS', 'NZL', 'GBR', 'BGD', 'ZAF', 'ARG', 'BRA', 'DEU',
  'FRA', 'ESP', 'ITA', 'NLD', 'PRT', 'JPN', 'CHN', 'KOR', 'MEX', 'RUS', 'UKR', 'SWE', 'IRL', 'AFG', 'LKA', 'NGA', 'EGY'])

function listJoin (items: readonly string[]): string {
  return items.slice(0, 3).join(', ')
}

/** `Washington D.C.` + `.` would read `D.C..`. */
function sentence (text: string): string {
  return text.endsWith('.') ? text : `${text}.`
}

function describe (country: WorldCountry): string {
  const place = country.subregion || country.region || undefined
  const parts = [`${country.name.common}: ${country.independent === false ? 'territory' : 'country'}${place === undefined ? '' : ` in ${place}`}.`]
  if (country.name.official !== country.name.common) parts.push(`Officially the ${country.name.official}.`)
  if (country.capital !== undefined && country.capital.length > 0) parts.push(sentence(`Capital: ${listJoin(country.capital)}`))
  const languages = Object.values(country.languages ?? {})
  if (languages.length > 0) parts.push(`Languages: ${listJoin(languages)}.`)
  const currencies = Object.values(country.currencies ?? {}).map((currency) => currency.name)
  if (currencies.length > 0) parts.push(`Currency: ${listJoin(currencies)}.`)
  return parts.join(' ')
}

export interface CountriesSourceOptions {
  /** Path of world-countries' countries.json; resolved from node_modules when absent. */
  dataPath?: string
}

export function createCountriesSource (options: CountriesSourceOptions = {}): KnowledgeSource {
  const byKey = new Map<string, { entry: CountryEntry, demonym: boolean }>()
  const entries: CountryEntry[] = []
  let loaded: Promise<void> | undefined

  async function load (): Promise<void> {
    const file = options.dataPath ?? createRequire(import.meta.url).resolve('world-countries/countries.json')
    let countries: WorldCountry[]
    try {
      countries = JSON.parse(await readFile(file, 'utf8')) as WorldCountry[]
    } catch (error) {
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', `cannot read country data at ${file}`, { cause: error, details: { path: file } })
    }
    for (const country of countries) {
      const names = [country.name.common, country.name.official, ...(SPORTS_CODES.has(country.cca3) ? [country.cca3] : []),
        ...(country.altSpellings ?? []).filter((alias) => alias.length > 2 || alias === country.cca2 && ['US', 'UK'].includes(alias)),
        ...Object.values(country.name.native ?? {}).flatMap((native) => [native.common, native.official])]
      const demonym = country.demonyms?.eng?.m
      const entry: CountryEntry = {
        id: `iso3166:${country.cca2}`,
        title: country.name.common,
        text: describe(country),
        demonymText: demonym === undefined ? null : `${demonym}: of or from ${country.name.common} (${country.subregion || country.region || 'country'}).`,
        aliases: [...new Set(names)]
      }
      entries.push(entry)
      for (const name of entry.aliases) {
        const key = normaliseEntityKey(name)
        if (key.length > 0 && !byKey.has(key)) byKey.set(key, { entry, demonym: false })
      }
    }
    // `French` is also the demonym of French Southern Lands: UN members claim demonyms first.
    const byMembership = [...countries.keys()].sort((a, b) => Number(countries[b]?.unMember === true) - Number(countries[a]?.unMember === true) || a - b)
    for (const index of byMembership) {
      const country = countries[index]
      const entry = entries[index]
      if (country === undefined || entry === undefined) continue
      for (const form of [country.demonyms?.eng?.m, country.demonyms?.eng?.f]) {
        if (form === undefined) continue
        const key = normaliseEntityKey(form)
        if (key.length > 0 && !byKey.has(key)) byKey.set(key, { entry, demonym: true })
      }
    }
  }

  function ensureLoaded (): Promise<void> {
    loaded ??= load()
    return loaded
  }

  return {
    name: 'countries',
    init: ensureLoaded,
    async lookup (query: SourceQuery): Promise<SourceAnswer | null> {
      await ensureLoaded()
      const hit = byKey.get(query.key)
      if (hit === undefined) return null
      if (hit.demonym && hit.entry.demonymText !== null) {
        return { canonicalId: hit.entry.id, title: hit.entry.title, text: hit.entry.demonymText }
      }
      return { canonicalId: hit.entry.id, title: hit.entry.title, text: hit.entry.text }
    },
    async linkOptions (query: LinkQuery): Promise<LinkOption[]> {
      await ensureLoaded()
      const hit = byKey.get(query.key)
      // A demonym is about the country without being it: no link.
      if (hit === undefined || hit.demonym) return []
      return [{ id: hit.entry.id, title: hit.entry.title, description: firstSentence(hit.entry.text), type: 'LOC', source: 'countries', match: 'name' }]
    },
    // Demonyms are left out: `French` is about France without being France.
    * aliasGroups (): Iterable<AliasGroup> {
      for (const entry of entries) yield { canonicalId: entry.id, title: entry.title, aliases: entry.aliases }
    },
    memoryBytes (): number {
      let bytes = 0
      for (const [key] of byKey) bytes += 64 + key.length * 2
      for (const entry of entries) bytes += approximateBytes(entry)
      return bytes
    }
  }
}
