import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { formatBrandScores, parseBrandSet, scoreBrandSet, type PredictedMention } from '../../src/eval/brand-set.js'
import { documentsToPredictions } from '../../src/eval/run-brand-set.js'
import { repoPath } from '../support/paths.js'

const SET = repoPath('test/fixtures/brand-set.txt')

test('the labelled set reads into posts with exact offsets, kinds from the surface and accepted ids', () => {
  const [post] = parseBrandSet('// comment\n[@Qantas|ORG|gs:qantas] lost my bag in [Sydney|LOC|geonames:2147714,wordnet:n08852287] #fail [Bob|PER|-]\n')
  expect(post?.text).toBe('@Qantas lost my bag in Sydney #fail Bob')
  expect(post?.mentions.map((m) => [post.text.slice(m.start, m.end), m.kind, m.type, m.ids])).toStrictEqual([
    ['@Qantas', 'handle', 'ORG', ['gs:qantas']],
    ['Sydney', 'text', 'LOC', ['geonames:2147714', 'wordnet:n08852287']],
    ['Bob', 'text', 'PER', []]
  ])
  expect(() => parseBrandSet('[Bob|XYZ|-] hi')).toThrow(/unknown type XYZ/)
  expect(() => parseBrandSet('[Bob|PER] hi')).toThrow(/malformed mention brackets/)
})

test('the shipped set is big enough to measure: at least 150 posts and 300 mentions of every kind', () => {
  const posts = parseBrandSet(readFileSync(SET, 'utf8'), 'brand-set.txt')
  const mentions = posts.flatMap((post) => post.mentions)
  expect(posts.length >= 150, `${posts.length} posts`).toBeTruthy()
  expect(mentions.length >= 300, `${mentions.length} mentions`).toBeTruthy()
  for (const kind of ['text', 'handle', 'hashtag'] as const) expect(mentions.filter((m) => m.kind === kind).length >= 30, `${kind} mentions`).toBeTruthy()
  for (const name of ['Apple', 'Amazon', 'Mercury', 'Gap', 'Sprite', 'Monster', 'Mango', 'Boots', 'Next', 'Virgin']) {
    expect(posts.some((post) => post.text.includes(name)), `ambiguous name ${name} is covered`).toBeTruthy()
  }
})

test('scores: mentions by exact span, type over matches, link precision over every id given, coverage over gold ids', () => {
  const [post] = parseBrandSet('[Apple|ORG|gs:apple] and [@Nike|ORG|gs:nike] in [Paris|LOC|geonames:1,wordnet:n2] #tbt [Bob|PER|-]')
  assert.ok(post !== undefined)
  const at = (surface: string): { start: number, end: number } => ({ start: post.text.indexOf(surface), end: post.text.indexOf(surface) + surface.length })
  const predicted: PredictedMention[] = [
    { ...at('Apple'), kind: 'text', type: 'ORG', canonicalId: 'gs:apple' },
    { ...at('@Nike'), kind: 'handle', type: 'PER', canonicalId: 'wordnet:goddess' },
    { ...at('Paris'), kind: 'text', type: 'LOC', canonicalId: 'wordnet:n2' },
    { ...at('#tbt'), kind: 'hashtag', type: 'OTHER', canonicalId: 'gs:tbt' }
  ]
  const scores = scoreBrandSet([post], new Map([[post.id, predicted]]))
  expect([scores.text.mentions.tp, scores.text.mentions.predicted, scores.text.mentions.gold]).toStrictEqual([2, 2, 3])
  expect([scores.handle.typeAccuracy.correct, scores.handle.typeAccuracy.total]).toStrictEqual([0, 1])
  expect([scores.all.linkPrecision.correct, scores.all.linkPrecision.total], 'the goddess and the id on a non-mention are wrong links').toStrictEqual([2, 4])
  expect([scores.all.linkCoverage.correct, scores.all.linkCoverage.total], 'Bob has no gold id; Nike was missed').toStrictEqual([2, 3])
  expect(scores.hashtag.mentions.precision).toBe(0)
  expect(formatBrandScores(scores)).toMatch(/^kind .*\ntext .*\nhandle .*\nhashtag .*\nall /u)
})

test('documents written by `groundstream run` score like in-process predictions, old ones by their surface', () => {
  const jsonl = [
    JSON.stringify({ post_id: 'brand-001', entity: { text: '@Qantas', start: 0, end: 7, type: 'ORG', canonical_id: null } }),
    JSON.stringify({ post_id: 'brand-001', entity: { text: 'Sydney', start: 23, end: 29, type: 'LOC', mention_kind: 'text', canonical_id: 'geonames:2147714' } })
  ].join('\n')
  const predictions = documentsToPredictions(jsonl)
  expect(predictions.get('brand-001')?.map((p) => [p.kind, p.canonicalId])).toStrictEqual([['handle', null], ['text', 'geonames:2147714']])
  expect(() => documentsToPredictions('{oops')).toThrow(/documents:1: not JSON/)
})
