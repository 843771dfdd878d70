import { test } from 'vitest'
import assert from 'node:assert/strict'
import type { Candidate } from '../../src/contracts/index.js'
import { createWordSegmenter, loadWordSegmenter, segmentTag, splitWords, TAG_SPAN_SCORE, withTagCandidates } from '../../src/stages/index.js'

const tiny = createWordSegmenter(['the', 'of', 'day', 'black', 'photo', 'friday', 'fashion', 'paris', 'week', 'no', 'filter'])

test('tag bodies split at case, underscores and letter-to-digit changes; codes stay whole', () => {
  assert.equal(segmentTag('ParisFashionWeek', null), 'Paris Fashion Week')
  assert.equal(segmentTag('BBCBreaking', null), 'BBC Breaking')
  assert.equal(segmentTag('elon_musk', null), 'elon musk')
  assert.equal(segmentTag('iPhone15', null), 'iPhone 15')
  assert.equal(segmentTag('eBayDeals', null), 'eBay Deals')
  assert.equal(segmentTag('AirMax90', null), 'Air Max90', 'letters then digits split only after a word of four letters or more')
  assert.equal(segmentTag('Qatar2022', null), 'Qatar 2022')
  assert.equal(segmentTag('G7', null), 'G7')
  assert.equal(segmentTag('COP28', null), 'COP28')
  assert.equal(segmentTag('NVIDIA', null), 'NVIDIA')
})

test('an all-lower-case run is split into known words only when the split is a good reading', () => {
  assert.equal(segmentTag('blackfriday', tiny), 'black friday')
  assert.equal(segmentTag('photooftheday', tiny), 'photo of the day')
  assert.equal(segmentTag('tbt', tiny), 'tbt', 'short runs are left whole')
  assert.equal(segmentTag('xqzvwkjh', tiny), 'xqzvwkjh', 'no reading: left whole')
  assert.equal(segmentTag('Blackfriday', tiny), 'Blackfriday', 'a capitalised word is a name, not a run')
})

test('the shipped word list segments real hashtags', async () => {
  const segmenter = await loadWordSegmenter()
  assert.equal(segmentTag('parisfashionweek', segmenter), 'paris fashion week')
  assert.equal(segmentTag('nofilter', segmenter), 'no filter')
  assert.equal(segmentTag('blackfriday', segmenter), 'black friday')
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
  assert.deepEqual(candidates.map((c) => [c.text, c.kind ?? 'text', c.query ?? null]), [
    ['Nike', 'text', null],
    ['#AirMaxDay', 'hashtag', 'Air Max Day'],
    ['@TMobile_Help', 'handle', 'T Mobile Help']
  ])
  const tag = candidates[1] as Candidate
  assert.equal(text.slice(tag.start, tag.end), '#AirMaxDay')
  assert.equal(tag.score, TAG_SPAN_SCORE)
})

test('no mention twice: a stage-1 span that is exactly the tag takes its kind, a longer span wins', () => {
  const exact = candidatesFor('Love #Paris in spring', [[1, 2]])
  assert.equal(exact.length, 1)
  assert.equal(exact[0]?.kind, 'hashtag')
  assert.equal(exact[0]?.query, 'Paris')
  assert.equal(exact[0]?.score, 0.9, 'the span keeps its stage-1 score')
  const longer = candidatesFor('#PlayStation plus prices are up', [[0, 2]])
  assert.deepEqual(longer.map((c) => [c.text, c.kind ?? 'text']), [['#PlayStation plus', 'text']])
})

test('e-mail addresses, URLs and sigils without letters are not tags', () => {
  const candidates = candidatesFor('mail me at jo@example.com or see https://x.example/#top #1 @_', [])
  assert.deepEqual(candidates, [])
})
