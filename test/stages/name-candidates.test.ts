import { test } from 'vitest'
import assert from 'node:assert/strict'
import type { Candidate, LinkOption } from '../../src/contracts/index.js'
import { createNameMatcher, decideTrackedType, NAME_SPAN_SCORE, splitWords, trackedOption, withNameCandidates, type TrackedOverride } from '../../src/stages/index.js'
import { createStage2 } from '../../src/stages/stage2.js'
import { makeWork } from '../pipeline/fakes.js'
import { fakeTypeModels } from './fake-text-models.js'

const matcher = createNameMatcher(['Coca-Cola', 'Coke', 'Apple', 'Apple Music', 'Patagonia', 'Tesco Express', 'Crème de la Mer', '@tesco', '#JustDoIt'])

/** The candidates for `text` with stage 1's spans given as [first word, end word) pairs. */
function candidatesFor (text: string, spans: Array<[number, number]> = []): Candidate[] {
  const words = splitWords(text)
  const model = spans.map(([from, to]): Candidate => {
    const first = words[from]
    const last = words[to - 1]
    if (first === undefined || last === undefined) throw new Error(`span ${from}-${to} is outside "${text}"`)
    return { postId: 'p', text: text.slice(first.start, last.end), start: first.start, end: last.end, wordStart: from, wordEnd: to, score: 0.7 }
  })
  return withNameCandidates('p', text, words, model, matcher)
}

const texts = (candidates: Candidate[]): string[] => candidates.map((candidate) => candidate.text)

test('a catalogue name stage 1 missed is a candidate, whatever its case and accents', () => {
  assert.deepEqual(texts(candidatesFor('grabbed a coke and some APPLE MUSIC time')), ['coke', 'APPLE MUSIC'])
  assert.deepEqual(texts(candidatesFor('creme de la mer is worth it')), ['creme de la mer'])
  const [coke] = candidatesFor('a cold coke')
  assert.deepEqual({ start: coke?.start, end: coke?.end, wordStart: coke?.wordStart, wordEnd: coke?.wordEnd, score: coke?.score }, { start: 7, end: 11, wordStart: 2, wordEnd: 3, score: NAME_SPAN_SCORE })
})

test('an ending after an apostrophe is read off the last word only', () => {
  assert.deepEqual(texts(candidatesFor("Patagonia's new jacket")), ["Patagonia's"])
  assert.deepEqual(texts(candidatesFor('patagonias jacket')), [], 'no apostrophe, no ending: not the name')
})

test('stage 1 spans: the same span is kept, spans inside a longer name give way, a containing span wins', () => {
  const same = candidatesFor('I love Apple today', [[2, 3]])
  assert.deepEqual(texts(same), ['Apple'])
  assert.equal(same[0]?.score, 0.7, "stage 1's own candidate is kept as it was")
  assert.deepEqual(texts(candidatesFor('Apple Music is down', [[0, 1]])), ['Apple Music'])
  assert.deepEqual(texts(candidatesFor('the Apple Store Regent Street opens', [[1, 5]])), ['Apple Store Regent Street'])
  assert.deepEqual(texts(candidatesFor('Tesco Express Camden', [[1, 3]])), ['Express Camden'], 'a span that only overlaps the name wins too: the model saw more context')
})

test('several names in one post, in text order, none twice', () => {
  const found = candidatesFor('Coke at Tesco Express, then Coke again', [[2, 3]])
  assert.deepEqual(texts(found), ['Coke', 'Tesco Express', 'Coke'])
  assert.deepEqual(found.map((candidate) => candidate.start), [0, 8, 28])
})

test('handles and hashtags are left to the tag candidates', () => {
  assert.deepEqual(texts(candidatesFor('@tesco #JustDoIt #coke')), [])
  assert.equal(createNameMatcher(['@tesco', '#JustDoIt']).size, 0)
})

test('no names: the spans come back as they were', () => {
  const empty = createNameMatcher([])
  const words = splitWords('Apple Music')
  const spans: Candidate[] = [{ postId: 'p', text: 'Apple', start: 0, end: 5, wordStart: 0, wordEnd: 1, score: 0.7 }]
  assert.deepEqual(withNameCandidates('p', 'Apple Music', words, spans, empty), spans)
})

const patagonia: LinkOption = { id: 'user:patagonia', title: 'Patagonia', description: 'outdoor clothing company', type: 'ORG', source: 'catalogue', match: 'name', tracked: true }
const region: LinkOption = { id: 'geonames:3843123', title: 'Patagonia', description: 'region of South America', type: 'LOC', source: 'cities', match: 'name' }
// STAGE2_LABELS order: PER, LOC, ORG, OTHER, NONE
const scores = (per: number, loc: number, org: number, other: number, none: number): number[] => [per, loc, org, other, none]

test("a tracked name is the user's entry: its type, scored by how sure stage 2 is that it names an entity", () => {
  assert.equal(trackedOption([region, patagonia]), patagonia)
  assert.equal(trackedOption([region]), undefined)
  assert.equal(trackedOption([{ ...patagonia, type: null }]), undefined, 'an entry without a type decides nothing')
  assert.equal(trackedOption([{ ...patagonia, match: 'context' }]), undefined)
  const decision = decideTrackedType(scores(0.05, 0.6, 0.2, 0.05, 0.1), patagonia, 0.9)
  assert.equal(decision?.type, 'ORG')
  assert.ok(Math.abs((decision?.score ?? 0) - 0.9) < 1e-9)
})

test('stage 2 overrides a tracked name only when it is sure: another type, or no entity at all', () => {
  assert.deepEqual(decideTrackedType(scores(0, 0.95, 0.02, 0.01, 0.02), patagonia, 0.9), { type: 'LOC', score: 0.95 })
  assert.equal(decideTrackedType(scores(0, 0.01, 0.02, 0.01, 0.96), patagonia, 0.9), null, '`apple pie` is not Apple')
  assert.equal(decideTrackedType(scores(0, 0.89, 0.05, 0.01, 0.05), patagonia, 0.9)?.type, 'ORG', 'below the override score the entry holds')
  assert.equal(decideTrackedType(scores(0, 0.01, 0.02, 0.01, 0.96), patagonia, 1)?.type, 'ORG', 'an override score of 1 never overrides')
})

test('stage 2 says when it overrules a tracked name, and keeps quiet when the entry holds', async () => {
  const run = async (probabilities: number[]): Promise<{ entities: string[], overrides: TrackedOverride[] }> => {
    const overrides: TrackedOverride[] = []
    const work = makeWork(1, { text: 'Patagonia in spring' })
    work.candidates = [{ candidate: { postId: work.post.id, text: 'Patagonia', start: 0, end: 9, wordStart: 0, wordEnd: 1, score: 1 }, knowledge: null, links: [patagonia, region] }]
    const stage2 = createStage2(fakeTypeModels(probabilities), { minTypeScore: 0.5, maxNoneScore: 0.5, trackedOverrideScore: 0.9, onTrackedOverride: (event) => overrides.push(event) }, () => null)
    const [done] = await stage2.run([work])
    return { entities: (done?.entities ?? []).map((entity) => `${entity.type}:${entity.link?.id ?? '-'}`), overrides }
  }
  const held = await run(scores(0.05, 0.6, 0.2, 0.05, 0.1))
  assert.deepEqual(held, { entities: ['ORG:user:patagonia'], overrides: [] })
  const place = await run(scores(0, 0.95, 0.02, 0.01, 0.02))
  assert.deepEqual(place.entities, ['LOC:-'], 'the region is not linked either: the name is ambiguous')
  assert.deepEqual(place.overrides.map(({ entryId, entryType, to, score }) => ({ entryId, entryType, to, score })), [{ entryId: 'user:patagonia', entryType: 'ORG', to: 'LOC', score: 0.95 }])
  const none = await run(scores(0, 0.01, 0.02, 0.01, 0.96))
  assert.deepEqual(none.entities, [])
  assert.deepEqual(none.overrides.map(({ to, score }) => ({ to, score })), [{ to: null, score: 0.96 }])
})
