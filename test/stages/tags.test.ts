import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import type { Candidate } from '../../src/contracts/index.js'
import { createWordSegmenter, loadWordSegmenter, segmentTag, splitWords, TAG_SPAN_SCORE, withTagCandidates } from '../../src/stages/index.js'

const tiny = createWordSegmenter(['the', 'of', 'day', 'black', 'photo', 'friday', 'fashion', 'paris', 'week', 'no', 'filter'])

test('tag bodies split at case, underscores and letter-to-digit changes; codes stay whole', () => {
  expect(segmentTag('ParisFashionWeek', null)).toBe('Paris Fashion Week')
  expect(segmentTag('BBCBreaking', null)).toBe('BBC Breaking')
  expect(segmentTag('elon_musk', null)).toBe('elon musk')
  expect(segmentTag('iPhone15', null)).toBe('iPhone 15')
  expect(segmentTag('eBayDeals', null)).toBe('eBay Deals')
  expect(segmentTag('AirMax90', null), 'letters then digits split only after a word of four letters or more').toBe('Air Max90')
  expect(segmentTag('Qatar2022', null)).toBe('Qatar 2022')
  expect(segmentTag('G7', null)).toBe('G7')
  expect(segmentTag('COP28', null)).toBe('COP28')
  expect(segmentTag('NVIDIA', null)).toBe('NVIDIA')
})

test('an all-lower-case run is split into known words only when the split is a good reading', () => {
  expect(segmentTag('blackfriday', tiny)).toBe('black friday')
  expect(segmentTag('photooftheday', tiny)).toBe('photo of the day')
  expect(segmentTag('tbt', tiny), 'short runs are left whole').toBe('tbt')
  expect(segmentTag('xqzvwkjh', tiny), 'no reading: left whole').toBe('xqzvwkjh')
  expect(segmentTag('Blackfriday', tiny), 'a capitalised word is a name, not a run').toBe('Blackfriday')
})

test('the shipped word list segments real hashtags', async () => {
  const segmenter = await loadWordSegmenter()
  expect(segmentTag('parisfashionweek', segmenter)).toBe('paris fashion week')
  expect(segmentTag('nofilter', segmenter)).toBe('no filter')
  expect(segmentTag('blackfriday', segmenter)).toBe('black friday')
})

function candidatesFor (text: string, spans: Array<[number, number]>): Candidate[] {
  const words = splitWords(text)
  const model = spans.map(([from, to]) => {
    const first = words[from]
    const last = words[to - 1]
    assert.ok(first !== undefined && last !== undefined)
    return { postId: 'p', text: text.slice(first.start, last.end), start: first.start, end: last.end, wordStart: from, wordEnd: to, score: 0.9 }
  })
  return withTagCandidates('p', text, words, model, tiny)
}

test('every uncovered #/@ word is a candidate of its own, in text order, with its segmented reading', () => {
  const text = 'Nike drops shoes for #AirMaxDay says @TMobile_Help'
  const candidates = candidatesFor(text, [[0, 1]])
  expect(candidates.map((c) => [c.text, c.kind ?? 'text', c.query ?? null])).toStrictEqual([
    ['Nike', 'text', null],
    ['#AirMaxDay', 'hashtag', 'Air Max Day'],
    ['@TMobile_Help', 'handle', 'T Mobile Help']
  ])
  const tag = candidates[1] as Candidate
  expect(text.slice(tag.start, tag.end)).toBe('#AirMaxDay')
  expect(tag.score).toBe(TAG_SPAN_SCORE)
})

test('no mention twice: a stage-1 span that is exactly the tag takes its kind, a longer span wins', () => {
  const exact = candidatesFor('Love #Paris in spring', [[1, 2]])
  expect(exact.length).toBe(1)
  expect(exact[0]?.kind).toBe('hashtag')
  expect(exact[0]?.query).toBe('Paris')
  expect(exact[0]?.score, 'the span keeps its stage-1 score').toBe(0.9)
  const longer = candidatesFor('#PlayStation plus prices are up', [[0, 2]])
  expect(longer.map((c) => [c.text, c.kind ?? 'text'])).toStrictEqual([['#PlayStation plus', 'text']])
})

test('e-mail addresses, URLs and sigils without letters are not tags', () => {
  const candidates = candidatesFor('mail me at jo@example.com or see https://x.example/#top #1 @_', [])
  expect(candidates).toStrictEqual([])
})
