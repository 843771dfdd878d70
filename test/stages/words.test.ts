import { expect, test } from 'vitest'
import { splitWords, wordShape } from '../../src/stages/words.js'
import { bioLabels, decodeBioSpans, softmax } from '../../src/stages/decoding.js'

test('splitWords keeps offsets, URLs, hashtags, mentions, hyphenated names and emoji', () => {
  const text = 'RT @Zentrix: Hewlett-Packard #BigLaunch 👍🏽 at https://example.org/x?y=1 !'
  const words = splitWords(text)
  expect(words.map((word) => word.text)).toStrictEqual(['RT', '@Zentrix', ':', 'Hewlett-Packard', '#BigLaunch', '👍🏽', 'at', 'https://example.org/x?y=1', '!'])
  for (const word of words) expect(text.slice(word.start, word.end)).toBe(word.text)
})

test('splitWords has defined behaviour on empty, odd and right-to-left text', () => {
  expect(splitWords('')).toStrictEqual([])
  expect(splitWords('   \n\t ')).toStrictEqual([])
  expect(splitWords('שלום עולם').map((word) => word.text)).toStrictEqual(['שלום', 'עולם'])
  expect(splitWords('a\u200bb').map((word) => word.text)).toStrictEqual(['a', '\u200b', 'b'])
  const long = 'word '.repeat(20_000)
  expect(splitWords(long).length).toBe(20_000)
})

test('wordShape follows the contract table', () => {
  const cases: Array<[string, number]> = [
    ['#tag', 1], ['@user', 2], ['https://x.y', 3], ['www.example.org', 3],
    ['NASA', 4], ['Paris', 5], ['I', 5], ['paris', 6], ['iPhone', 7], ['McDonald', 7],
    ['2015', 8], ['3-1', 8], ['!', 9], ['👍', 9], ['東京', 9], ['Édith', 5], ['ÉTÉ', 4]
  ]
  for (const [word, shape] of cases) expect(wordShape(word), word).toBe(shape)
})

test('decodeBioSpans repairs orphan I and scores spans by mean probability', () => {
  expect(decodeBioSpans(['O', 'I', 'I', 'O', 'B', 'B', 'I'], [1, 0.8, 0.6, 1, 0.9, 0.5, 0.7])).toStrictEqual([
    { start: 1, end: 3, score: 0.7 },
    { start: 4, end: 5, score: 0.9 },
    { start: 5, end: 7, score: 0.6 }
  ])
  expect(decodeBioSpans([], [])).toStrictEqual([])
})

test('bioLabels picks the most probable sequence with no orphan I (the Python contract cases)', () => {
  // argmax O I is illegal: B I (0.3 * 0.7) beats O B (0.6 * 0.1) and O O (0.6 * 0.2)
  expect(bioLabels([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]])).toStrictEqual(['B', 'I'])
  // here O O (0.36) beats O B (0.135) and B I (0.0225)
  expect(bioLabels([[0.9, 0.05, 0.05], [0.4, 0.15, 0.45]])).toStrictEqual(['O', 'O'])
  // a legal argmax is kept
  expect(bioLabels([[0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.6, 0.1, 0.3]])).toStrictEqual(['B', 'I', 'O'])
  expect(bioLabels([])).toStrictEqual([])
  // O and B tie at the floor: the lower label wins, as in Python
  expect(bioLabels([[0, 0, 1]])).toStrictEqual(['O'])
})

test('softmax is stable for large logits', () => {
  const probabilities = softmax([1000, 1000, 0])
  expect(Math.abs((probabilities[0] ?? 0) - 0.5) < 1e-9).toBeTruthy()
  expect(Number.isFinite(probabilities[2])).toBeTruthy()
})
