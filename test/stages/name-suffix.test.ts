// Endings written after an apostrophe: the knowledge cache also asks for the
// stem, and the indexed mention is the name without its ending unless the
// name it links to ends so itself.
import { expect, test } from 'vitest'
import { entityVariants, nameWithoutSuffix, normaliseEntity, type Candidate, type EntityLink } from '../../src/contracts/index.js'
import { withoutNameSuffix } from '../../src/stages/name-suffix.js'

test('Turkish case and possessive suffixes and the English possessive come off a name; inner apostrophes stay', () => {
  const stems = Object.fromEntries(["İstanbul'da", "Galatasaray'ın", "Erdoğan'a", "THY'nin", "Türkiye'deki", "Fenerbahçe'yle", "Real Madrid'e", "Patagonia's", 'Adidas’', "O'Neil", "L'Oréal", "rock'n'roll", 'Paris'].map((surface) => [surface, nameWithoutSuffix(surface)]))
  expect(stems).toEqual({
    "İstanbul'da": 'İstanbul',
    "Galatasaray'ın": 'Galatasaray',
    "Erdoğan'a": 'Erdoğan',
    "THY'nin": 'THY',
    "Türkiye'deki": 'Türkiye',
    "Fenerbahçe'yle": 'Fenerbahçe',
    "Real Madrid'e": 'Real Madrid',
    "Patagonia's": 'Patagonia',
    'Adidas’': 'Adidas',
    "O'Neil": null,
    "L'Oréal": null,
    "rock'n'roll": null,
    Paris: null
  })
})

test('a suffixed name is also looked up as its stem, after the form itself', () => {
  expect(normaliseEntity("İstanbul'da").key).toBe("istanbul'da")
  expect(entityVariants(normaliseEntity("İstanbul'da")).map((variant) => variant.key)).toContain('istanbul')
})

const candidate = (text: string, kind?: Candidate['kind']): Candidate => ({ postId: 'p', text, start: 4, end: 4 + text.length, wordStart: 1, wordEnd: 2, score: 0.9, ...(kind === undefined ? {} : { kind }) })
const link = (title: string): EntityLink => ({ id: 'x', title, description: 'd', source: 'catalogue' })

test('the indexed mention drops the ending, unless the linked name has one, and tags are left alone', () => {
  expect(withoutNameSuffix(candidate("İstanbul'da"), null)).toMatchObject({ text: 'İstanbul', start: 4, end: 12 })
  expect(withoutNameSuffix(candidate("Patagonia's"), link('Patagonia'))).toMatchObject({ text: 'Patagonia', end: 13 })
  expect(withoutNameSuffix(candidate("McDonald's"), link("McDonald's"))).toMatchObject({ text: "McDonald's", end: 14 })
  expect(withoutNameSuffix(candidate("#Nike's", 'hashtag'), null).text).toBe("#Nike's")
  expect(withoutNameSuffix(candidate('Zara'), null).text).toBe('Zara')
})
