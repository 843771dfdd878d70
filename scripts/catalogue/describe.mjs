// One-line descriptions in the words stage 2 and the linker read
// (src/knowledge-cache/link-options.ts: company, chain, retailer, brand,
// club, airline, bank...): "French supermarket chain", "Turkish football club".
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** UN M49 regions NSI scopes brands with (`001` the world, `150` Europe). */
const REGION_WORDS = Object.freeze({
  '001': 'International',
  '002': 'African',
  '019': 'American',
  '021': 'North American',
  '419': 'Latin American',
  '142': 'Asian',
  '145': 'Middle Eastern',
  '150': 'European',
  '009': 'Oceanian',
  '053': 'Australasian'
})

const HOME_NATIONS = new Set(['eng', 'sco', 'wal', 'nir'])

/** Home nations and other codes world-countries does not key by alpha-2. */
const EXTRA_DEMONYMS = Object.freeze({ eng: 'English', sco: 'Scottish', wal: 'Welsh', nir: 'Northern Irish', uk: 'British', xk: 'Kosovar', kos: 'Kosovar' })

/** ISO 3166 alpha-2 (lower case) -> English demonym (`fr` -> `French`). */
export function loadDemonyms () {
  const countries = JSON.parse(readFileSync(require.resolve('world-countries/countries.json'), 'utf8'))
  const demonyms = new Map(Object.entries(EXTRA_DEMONYMS))
  for (const country of countries) {
    const word = country.demonyms?.eng?.m
    if (typeof word === 'string' && word.length > 0) demonyms.set(country.cca2.toLowerCase(), word)
  }
  demonyms.set('us', 'American')
  demonyms.set('gb', 'British')
  return demonyms
}

/** NSI tree paths -> what such a brand is; anything else is said from its key and value. */
const CATEGORY_PHRASES = Object.freeze({
  'amenity/atm': 'ATM network',
  'amenity/bank': 'bank',
  'amenity/bar': 'bar chain',
  'amenity/bicycle_rental': 'bicycle-sharing service',
  'amenity/bureau_de_change': 'currency exchange chain',
  'amenity/cafe': 'café chain',
  'amenity/car_rental': 'car rental company',
  'amenity/car_sharing': 'car-sharing company',
  'amenity/car_wash': 'car wash chain',
  'amenity/charging_station': 'electric-vehicle charging network',
  'amenity/cinema': 'cinema chain',
  'amenity/clinic': 'clinic chain',
  'amenity/dentist': 'dental clinic chain',
  'amenity/fast_food': 'fast-food restaurant chain',
  'amenity/fuel': 'fuel station chain',
  'amenity/ice_cream': 'ice-cream brand',
  'amenity/kindergarten': 'kindergarten chain',
  'amenity/money_transfer': 'money transfer company',
  'amenity/parcel_locker': 'parcel locker network',
  'amenity/payment_terminal': 'payment terminal network',
  'amenity/pharmacy': 'pharmacy chain',
  'amenity/post_office': 'postal service',
  'amenity/pub': 'pub chain',
  'amenity/restaurant': 'restaurant chain',
  'amenity/vending_machine': 'vending machine brand',
  'leisure/fitness_centre': 'gym chain',
  'man_made/charge_point': 'electric-vehicle charging network',
  'office/estate_agent': 'estate agency',
  'office/insurance': 'insurance company',
  'office/telecommunication': 'telecommunications company',
  'shop/alcohol': 'liquor store chain',
  'shop/bakery': 'bakery chain',
  'shop/beauty': 'beauty salon chain',
  'shop/books': 'bookshop chain',
  'shop/car': 'car brand',
  'shop/car_parts': 'car parts retailer',
  'shop/car_repair': 'car repair chain',
  'shop/chemist': 'drugstore chain',
  'shop/clothes': 'clothing retailer',
  'shop/convenience': 'convenience store chain',
  'shop/cosmetics': 'cosmetics retailer',
  'shop/department_store': 'department store chain',
  'shop/doityourself': 'DIY retailer',
  'shop/electronics': 'electronics retailer',
  'shop/furniture': 'furniture retailer',
  'shop/hairdresser': 'hairdresser chain',
  'shop/jewelry': 'jewellery retailer',
  'shop/mobile_phone': 'mobile phone retailer',
  'shop/optician': 'optician chain',
  'shop/pet': 'pet shop chain',
  'shop/shoes': 'shoe retailer',
  'shop/sports': 'sporting goods retailer',
  'shop/supermarket': 'supermarket chain',
  'shop/telecommunication': 'telecommunications company',
  'shop/toys': 'toy retailer',
  'shop/variety_store': 'variety store chain',
  'tourism/hotel': 'hotel chain'
})

/** What a brand of an NSI tree path (`brands/shop/supermarket`) is: `supermarket chain`. */
export function categoryPhrase (treePath) {
  const category = treePath.replace(/^brands\//u, '')
  const known = CATEGORY_PHRASES[category]
  if (known !== undefined) return known
  const [key = '', value = ''] = category.split('/')
  const words = value.replace(/_/gu, ' ')
  if (key === 'shop') return `${words} shop chain`
  if (key === 'office' || key === 'craft') return `${words} company`
  return `${words} brand`
}

/** A country code, a region code, or a subdivision (`us-ca`, `gb-eng`) reduced to its country. */
function scopeCode (code) {
  if (typeof code !== 'string') return null
  const lower = code.toLowerCase()
  if (REGION_WORDS[lower] !== undefined) return lower
  if (/^gb-(eng|sco|wls|nir)$/u.test(lower)) return { 'gb-eng': 'eng', 'gb-sco': 'sco', 'gb-wls': 'wal', 'gb-nir': 'nir' }[lower]
  const match = /^([a-z]{2})(?:-[a-z0-9]+)?$/u.exec(lower)
  return match === null ? null : match[1]
}

/**
 * The countries or region a brand serves, from NSI's `locationSet.include`:
 * `French`, `European`, `International`, `Danish and Swedish`, or null when
 * the scope is a custom area (a GeoJSON file) or unknown.
 */
export function scopeWord (include, demonyms) {
  let codes = [...new Set((include ?? []).map(scopeCode).filter((code) => code !== null))]
  // The United Kingdom covers its home nations (`gb` and `gb-eng` together read `British`).
  if (codes.includes('gb')) codes = codes.filter((code) => !HOME_NATIONS.has(code))
  if (codes.length === 1) {
    const code = codes[0]
    return REGION_WORDS[code] ?? demonyms.get(code) ?? null
  }
  if (codes.length > 3 || codes.length === 0) return codes.length > 3 ? 'International' : null
  const words = codes.map((code) => REGION_WORDS[code] ?? demonyms.get(code))
  if (words.some((word) => word === undefined || word === 'International')) return null
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`
}

/** `French` + `supermarket chain` -> `French supermarket chain`; no scope -> `Supermarket chain`. */
export function describe (scope, phrase) {
  if (scope === null) return phrase.charAt(0).toUpperCase() + phrase.slice(1)
  return `${scope} ${phrase}`
}
