// Brands from the name-suggestion-index (npm `name-suggestion-index`,
// BSD-3-Clause): `dist/json/nsi.json` lists brands by OpenStreetMap category
// (`brands/shop/supermarket`) with their Wikidata id, where they trade
// (`locationSet`) and their names in other languages (`brand:xx`, `name:xx`,
// `matchNames`); `dist/wikidata/wikidata.json` has their official accounts.
// One entry per Wikidata id: a bank listed under `amenity/bank` and
// `amenity/atm` is one brand, described by its main category.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { categoryPhrase, describe, scopeWord } from './describe.mjs'
import { byCodeUnit, uniqueNames } from './text.mjs'

/** Categories that say less about a brand than its other listings (a bank's ATMs, a drinks brand's vending machines). */
const SECONDARY_CATEGORIES = new Set([
  'advertising/totem', 'amenity/atm', 'amenity/vending_machine', 'amenity/parcel_locker', 'amenity/payment_terminal',
  'amenity/charging_station', 'man_made/charge_point', 'amenity/post_depot', 'amenity/bicycle_rental', 'amenity/payment_centre'
])

/** The words of a sub-brand after its parent's name: `Tesco Express`, `Carrefour Market`, `Coles Local`. */
const SUB_BRAND_WORDS = /^(.+?)\s+(express|extra|market|metro|local|city|mini|super|hyper|select|contact|xpress|plus|to go|outlet|kids|home)$/iu

/** Tag keys whose values name the brand, and the language each stands for (`null`: the brand's own, unlabelled). */
const NAME_KEYS = /^(brand|name|short_name|alt_name|official_name)(?::([a-z]{2,3}(?:-[A-Za-z]+)?))?$/u

/**
 * Reads the two NSI files.
 * @returns {{ version: string, groups: Map<string, {path: string, item: object}[]>, wikidata: Record<string, object> }}
 */
export function loadNsi (dir) {
  const nsiFile = path.join(dir, 'dist', 'json', 'nsi.json')
  const wikidataFile = path.join(dir, 'dist', 'wikidata', 'wikidata.json')
  const nsi = JSON.parse(readFileSync(nsiFile, 'utf8'))
  const wikidata = JSON.parse(readFileSync(wikidataFile, 'utf8')).wikidata
  if (nsi?.nsi === undefined || wikidata === undefined) throw new Error(`${dir}: not a name-suggestion-index package (no nsi.json or wikidata.json)`)
  const groups = new Map()
  for (const treePath of Object.keys(nsi.nsi).sort(byCodeUnit)) {
    if (!treePath.startsWith('brands/')) continue
    for (const item of nsi.nsi[treePath].items) {
      const qid = item.tags?.['brand:wikidata']
      // Without a Wikidata id there is no canonical id to give, and such entries are mostly small local chains.
      if (typeof qid !== 'string' || !/^Q\d+$/u.test(qid)) continue
      if (!groups.has(qid)) groups.set(qid, [])
      groups.get(qid).push({ path: treePath, item })
    }
  }
  for (const listings of groups.values()) sortListings(listings)
  return { version: nsi._meta?.version ?? 'unknown', groups, wikidata }
}

/**
 * Main listing first: a primary category before a secondary one (a bank
 * before its ATMs), then the category the brand has most listings in
 * (Carrefour's supermarkets before its fuel stations), then path and id.
 */
export function sortListings (listings) {
  const perPath = new Map()
  for (const { path: treePath } of listings) perPath.set(treePath, (perPath.get(treePath) ?? 0) + 1)
  const secondary = (listing) => SECONDARY_CATEGORIES.has(listing.path.replace(/^brands\//u, '')) ? 1 : 0
  // On a tie a shop listing says more than an amenity one (Carrefour's supermarkets, not its fuel stations).
  const shop = (listing) => listing.path.startsWith('brands/shop/') ? 0 : 1
  return listings.sort((a, b) => secondary(a) - secondary(b) || perPath.get(b.path) - perPath.get(a.path) ||
    shop(a) - shop(b) || byCodeUnit(a.path, b.path) || byCodeUnit(a.item.id, b.item.id))
}

/**
 * Every name a brand's listings give, with its language (`de` for
 * `brand:de`, null for the brand's own name and NSI's `matchNames`).
 * @returns {{ name: string, language: string | null }[]}
 */
export function nsiNames (listings) {
  const names = []
  for (const { item } of listings) {
    const tags = item.tags ?? {}
    for (const key of Object.keys(tags).sort(byCodeUnit)) {
      const match = NAME_KEYS.exec(key)
      if (match === null) continue
      for (const value of String(tags[key]).split(';')) names.push({ name: value.trim(), language: match[2] ?? null })
    }
    for (const value of item.matchNames ?? []) names.push({ name: value, language: null })
  }
  return names.filter((entry) => entry.name.length > 0)
}

/** The brand's display name: its English name when it has one (`brand:en`), else its `brand` tag. */
function displayName (listing) {
  const tags = listing.item.tags
  return (tags['brand:en'] ?? tags.brand ?? listing.item.displayName).trim()
}

/** The official Twitter account Wikidata lists for the brand, if it is a valid handle. */
function twitterHandle (qid, wikidata) {
  const handle = wikidata[qid]?.identities?.twitter
  return typeof handle === 'string' && /^\w{1,15}$/u.test(handle) ? handle : null
}

/**
 * The brand a sub-brand belongs to: `Tesco Express` -> `Tesco`, when
 * `parentName` knows the name before the sub-brand word. NSI's `operator`
 * (`LEGOLAND` -> `Merlin Entertainments`) is the company that runs it, not a
 * brand the mention belongs to, so it is not used: a brand names itself.
 */
function parentBrand (name, parentName) {
  const sub = SUB_BRAND_WORDS.exec(name)
  return sub === null ? undefined : parentName(sub[1])
}

/**
 * One NSI brand (all listings of one Wikidata id) as a catalogue entry,
 * before the ambiguity pass decides which of its names may link.
 * @param {string} qid
 * @param {{path: string, item: object}[]} listings sorted by sortListings, main one first
 * @param {{ wikidata: Record<string, object>, demonyms: Map<string, string>, parentName?: (name: string) => string | undefined }} context
 */
export function nsiEntry (qid, listings, { wikidata, demonyms, parentName = () => undefined }) {
  const main = listings[0]
  if (main === undefined) throw new Error(`NSI brand ${qid} has no listing`)
  const name = displayName(main)
  const handle = twitterHandle(qid, wikidata)
  // Where the brand trades: every listing's countries together (TotalEnergies' fuel stations span the world).
  const scope = scopeWord(listings.flatMap((listing) => listing.item.locationSet?.include ?? []), demonyms)
  const brand = parentBrand(name, parentName)
  return {
    id: `wikidata:${qid}`,
    name,
    aliases: uniqueNames(nsiNames(listings).map((entry) => entry.name), [name]),
    handles: handle === null ? [] : [handle],
    type: 'ORG',
    ...(brand === undefined ? {} : { brand }),
    description: describe(scope, categoryPhrase(main.path)),
    source: `nsi:${main.path.replace(/^brands\//u, '')}`
  }
}
