// The link prior: the evidence features stage 2 reads from the knowledge
// cache's link options, the re-weighing of its probabilities, the checks on
// the shipped file, and stage 2 deciding with it.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import type { Candidate, LinkOption } from '../../src/contracts/index.js'
import { GroundstreamError } from '../../src/errors/index.js'
import { applyLinkPrior, hasLinkEvidence, LINK_EVIDENCE_FEATURES, linkEvidence, loadLinkPrior, type LinkPrior } from '../../src/stages/index.js'
import { createStage2 } from '../../src/stages/stage2.js'
import { makeWork } from '../pipeline/fakes.js'
import { fakeTypeModels } from './fake-text-models.js'

const candidate = (text: string): Candidate => ({ postId: 'p1', text, start: 0, end: text.length, wordStart: 0, wordEnd: 1, score: 0.9 })

const option = (fields: Partial<LinkOption>): LinkOption => ({ id: 'x', title: 'X', description: 'something', type: 'ORG', source: 'catalogue', match: 'name', ...fields })

const on = (vector: number[]): string[] => LINK_EVIDENCE_FEATURES.filter((name, i) => vector[i] === 1 && name !== 'stage1:span-score')

test('a capitalised catalogue brand that also reads as a common noun: its evidence says so', () => {
  const evidence = linkEvidence(candidate('Dove'), [
    option({ description: 'British personal-care brand owned by Unilever' }),
    option({ source: 'wordnet', type: null, id: 'wordnet:n01', description: 'a bird' })
  ])
  expect(on(evidence)).toEqual(['catalogue:ORG', 'catalogue:brand-words', 'common-noun', 'ambiguous', 'capitalised', 'catalogue:ORG&capitalised'])
})

test('a city answered by GeoNames, a large one, and a mention written in lower case', () => {
  expect(on(linkEvidence(candidate('München'), [option({ source: 'cities', type: 'LOC', population: 1_260_000 })])))
    .toEqual(['place', 'place:large', 'capitalised', 'place&capitalised'])
  expect(on(linkEvidence(candidate('münchen'), [option({ source: 'cities', type: 'LOC', population: 20_000 })]))).toEqual(['place'])
  expect(on(linkEvidence(candidate('pie'), [option({ match: 'context', source: 'wordnet', type: null })]))).toEqual(['common-noun'])
  expect(linkEvidence(candidate('x'), []).filter((value) => value !== 0)).toEqual([0.9])
  expect(linkEvidence({ ...candidate('x'), score: 0.42 }, [])[LINK_EVIDENCE_FEATURES.indexOf('stage1:span-score')]).toBe(0.42)
})

const zeros = (): number[][] => Array.from({ length: 5 }, () => new Array<number>(LINK_EVIDENCE_FEATURES.length).fill(0))

function prior (fields: Partial<LinkPrior> = {}): LinkPrior {
  return { features: [...LINK_EVIDENCE_FEATURES], labels: ['PER', 'LOC', 'ORG', 'OTHER', 'NONE'], scale: 1, bias: [0, 0, 0, 0, 0], weights: zeros(), ...fields }
}

test('the identity prior leaves the probabilities as they are; a weight moves them', () => {
  const scores = [0.1, 0.1, 0.3, 0.1, 0.4]
  const evidence = linkEvidence(candidate('Zara'), [option({ description: 'Spanish fashion retail chain' })])
  applyLinkPrior(prior(), scores, evidence).forEach((value, i) => expect(value).toBeCloseTo(scores[i] as number, 9))
  const weights = zeros()
  weights[2]![LINK_EVIDENCE_FEATURES.indexOf('catalogue:ORG&capitalised')] = 1.5
  const moved = applyLinkPrior(prior({ weights }), scores, evidence)
  expect(moved.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 9)
  expect(moved[2]).toBeGreaterThan(0.5)
  expect(moved[4]).toBeLessThan(0.4)
})

test('a mention the cache knows nothing about keeps the prompt model\'s probabilities, whatever the weights', () => {
  const weights = zeros().map((row) => row.map(() => 2))
  const bare = linkEvidence(candidate('Zara'), [])
  expect(hasLinkEvidence(bare)).toBe(false)
  expect(applyLinkPrior(prior({ weights }), [0.1, 0.1, 0.3, 0.1, 0.4], bare)).toEqual([0.1, 0.1, 0.3, 0.1, 0.4])
  expect(hasLinkEvidence(linkEvidence(candidate('pie'), [option({ match: 'context', source: 'wordnet', type: null })]))).toBe(true)
})

async function writePrior (value: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-link-prior-'))
  const file = path.join(dir, 'link-prior.json')
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value))
  return file
}

test('the prior file: absent is no prior; bad JSON, another feature list or a wrong shape is a clear model error', async () => {
  expect(await loadLinkPrior(path.join(tmpdir(), 'gs-no-such-dir', 'link-prior.json'))).toBeNull()
  expect(await loadLinkPrior(await writePrior(prior()))).toEqual(prior())
  for (const [bad, message] of [
    ['{', /not JSON/],
    [prior({ features: ['catalogue:ORG'] }), /features are not the ones/],
    [prior({ bias: [0, 0] }), /bias has 2 values/],
    [prior({ weights: [[0]] }), /weights must be 5 rows/],
    [{ ...prior(), extra: 1 }, /is invalid/]
  ] as const) {
    const error = await loadLinkPrior(await writePrior(bad)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(GroundstreamError)
    expect((error as GroundstreamError).code).toBe('GS_ERR_MODEL_INVALID')
    expect((error as Error).message).toMatch(message)
  }
})

test('stage 2 keeps a linked brand its prompt model put under NONE when the prior weighs the link, and not without it', async () => {
  const weights = zeros()
  weights[2]![LINK_EVIDENCE_FEATURES.indexOf('catalogue:ORG&capitalised')] = 1.5
  const run = async (linkPrior: LinkPrior | null): Promise<string[]> => {
    const work = makeWork(1, { text: 'Zara sale starts today' })
    work.candidates = [{ candidate: candidate('Zara'), knowledge: null, links: [option({ id: 'gs:zara', title: 'Zara', description: 'Spanish fashion retail chain' })] }]
    const stage2 = createStage2(fakeTypeModels([0.05, 0.2, 0.3, 0.05, 0.4]), { minTypeScore: 0.5, maxNoneScore: 0.5, linkPrior }, () => null)
    const [done] = await stage2.run([work])
    return (done?.entities ?? []).map((entity) => `${entity.candidate.text}:${entity.type}:${entity.link?.id ?? '-'}`)
  }
  expect(await run(null)).toEqual([])
  expect(await run(prior({ weights }))).toEqual(['Zara:ORG:gs:zara'])
})
