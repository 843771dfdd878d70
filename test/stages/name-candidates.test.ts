import { expect, test } from 'vitest'
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
  expect(texts(candidatesFor('grabbed a coke and some APPLE MUSIC time'))).toStrictEqual(['coke', 'APPLE MUSIC'])
  expect(texts(candidatesFor('creme de la mer is worth it'))).toStrictEqual(['creme de la mer'])
  const [coke] = candidatesFor('a cold coke')
  expect({ start: coke?.start, end: coke?.end, wordStart: coke?.wordStart, wordEnd: coke?.wordEnd, score: coke?.score }).toStrictEqual({ start: 7, end: 11, wordStart: 2, wordEnd: 3, score: NAME_SPAN_SCORE })
})

test('an ending after an apostrophe is read off the last word only', () => {
  expect(texts(candidatesFor("Patagonia's new jacket"))).toStrictEqual(["Patagonia's"])
  expect(texts(candidatesFor('patagonias jacket')), 'no apostrophe, no ending: not the name').toStrictEqual([])
})

test('stage 1 spans: the same span is kept, spans inside a longer name give way, a containing span wins', () => {
  const same = candidatesFor('I love Apple today', [[2, 3]])
  expect(texts(same)).toStrictEqual(['Apple'])
  expect(same[0]?.score, "stage 1's own candidate is kept as it was").toBe(0.7)
  expect(texts(candidatesFor('Apple Music is down', [[0, 1]]))).toStrictEqual(['Apple Music'])
  expect(texts(candidatesFor('the Apple Store Regent Street opens', [[1, 5]]))).toStrictEqual(['Apple Store Regent Street'])
  expect(texts(candidatesFor('Tesco Express Camden', [[1, 3]])), 'a span that only overlaps the name wins too: the model saw more context').toStrictEqual(['Express Camden'])
})

test('several names in one post, in text order, none twice', () => {
  const found = candidatesFor('Coke at Tesco Express, then Coke again', [[2, 3]])
  expect(texts(found)).toStrictEqual(['Coke', 'Tesco Express', 'Coke'])
  expect(found.map((candidate) => candidate.start)).toStrictEqual([0, 8, 28])
})

test('handles and hashtags are left to the tag candidates', () => {
  expect(texts(candidatesFor('@tesco #JustDoIt #coke'))).toStrictEqual([])
  expect(createNameMatcher(['@tesco', '#JustDoIt']).size).toBe(0)
})

test('no names: the spans come back as they were', () => {
  const empty = createNameMatcher([])
  const words = splitWords('Apple Music')
  const spans: Candidate[] = [{ postId: 'p', text: 'Apple', start: 0, end: 5, wordStart: 0, wordEnd: 1, score: 0.7 }]
  expect(withNameCandidates('p', 'Apple Music', words, spans, empty)).toStrictEqual(spans)
})

const patagonia: LinkOption = { id: 'user:patagonia', title: 'Patagonia', description: 'outdoor clothing company', type: 'ORG', source: 'catalogue', match: 'name', tracked: true }
const region: LinkOption = { id: 'geonames:3843123', title: 'Patagonia', description: 'region of South America', type: 'LOC', source: 'cities', match: 'name' }
// STAGE2_LABELS order: PER, LOC, ORG, OTHER, NONE
const scores = (per: number, loc: number, org: number, other: number, none: number): number[] => [per, loc, org, other, none]

test("a tracked name is the user's entry: its type, scored by how sure stage 2 is that it names an entity", () => {
  expect(trackedOption([region, patagonia])).toBe(patagonia)
  expect(trackedOption([region])).toBe(undefined)
  expect(trackedOption([{ ...patagonia, type: null }]), 'an entry without a type decides nothing').toBe(undefined)
  expect(trackedOption([{ ...patagonia, match: 'context' }])).toBe(undefined)
  const decision = decideTrackedType(scores(0.05, 0.6, 0.2, 0.05, 0.1), patagonia, 0.9)
  expect(decision?.type).toBe('ORG')
  expect(Math.abs((decision?.score ?? 0) - 0.9) < 1e-9).toBeTruthy()
})

test('stage 2 overrides a tracked name only when it is sure: another type, or no entity at all', () => {
  expect(decideTrackedType(scores(0, 0.95, 0.02, 0.01, 0.02), patagonia, 0.9)).toStrictEqual({ type: 'LOC', score: 0.95 })
  expect(decideTrackedType(scores(0, 0.01, 0.02, 0.01, 0.96), patagonia, 0.9), '`apple pie` is not Apple').toBe(null)
  expect(decideTrackedType(scores(0, 0.89, 0.05, 0.01, 0.05), patagonia, 0.9)?.type, 'below the override score the entry holds').toBe('ORG')
  expect(decideTrackedType(scores(0, 0.01, 0.02, 0.01, 0.96), patagonia, 1)?.type, 'an override score of 1 never overrides').toBe('ORG')
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
  expect(held).toStrictEqual({ entities: ['ORG:user:patagonia'], overrides: [] })
  const place = await run(scores(0, 0.95, 0.02, 0.01, 0.02))
  expect(place.entities, 'the region is not linked either: the name is ambiguous').toStrictEqual(['LOC:-'])
  expect(place.overrides.map(({ entryId, entryType, to, score }) => ({ entryId, entryType, to, score }))).toStrictEqual([{ entryId: 'user:patagonia', entryType: 'ORG', to: 'LOC', score: 0.95 }])
  const none = await run(scores(0, 0.01, 0.02, 0.01, 0.96))
  expect(none.entities).toStrictEqual([])
  expect(none.overrides.map(({ to, score }) => ({ to, score }))).toStrictEqual([{ to: null, score: 0.96 }])
})
