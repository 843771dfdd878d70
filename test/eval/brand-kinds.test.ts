import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { formatBreakdown, GOLD_KINDS, parseBrandSet, sameName, scoreBrandSet, scoreBreakdown, type BrandPost, type PredictedMention } from '../../src/eval/brand-set.js'
import { documentsToPredictions } from '../../src/eval/run-brand-set.js'
import { repoPath } from '../support/paths.js'

const at = (post: BrandPost, surface: string): { start: number, end: number } => ({ start: post.text.indexOf(surface), end: post.text.indexOf(surface) + surface.length })

test('a mention may carry its kind and its brand; `*` means links are not scored; old three-field mentions read as before', () => {
  const [post] = parseBrandSet('[iPhone 15|OTHER|*|product|Apple] from the [Apple|ORG|gs:apple|common-word|Apple] store in [Paris|LOC|-|city] and [Bob|PER|-|-|-]\n')
  expect(post?.text).toBe('iPhone 15 from the Apple store in Paris and Bob')
  expect(post?.mentions.map((m) => [m.text, m.type, m.ids, m.linksScored, m.goldKind, m.brand])).toStrictEqual([
    ['iPhone 15', 'OTHER', [], false, 'product', 'Apple'],
    ['Apple', 'ORG', ['gs:apple'], true, 'common-word', 'Apple'],
    ['Paris', 'LOC', [], true, 'city', undefined],
    ['Bob', 'PER', [], true, undefined, undefined]
  ])
  expect(post?.language).toBe('en')
  const [old] = parseBrandSet('[Qantas|ORG|gs:qantas] in [Sydney|LOC|geonames:2147714,wordnet:n08852287]')
  expect(old?.mentions.map((m) => [m.ids, m.linksScored, m.goldKind, m.brand])).toStrictEqual([[['gs:qantas'], true, undefined, undefined], [['geonames:2147714', 'wordnet:n08852287'], true, undefined, undefined]])
})

test('directives set the language and the section of the posts that follow; bad lines fail with file:line', () => {
  const posts = parseBrandSet('hello [Bob|PER|*]\n//! lang=tr\n//! kind=suffixed\n[İstanbul|LOC|*|suffixed]\'da yağmur var\n// a comment\n//! kind=-\n//! lang=de\n[München|LOC|*|city] ist schön\n', 'set.txt')
  expect(posts.map((p) => [p.text, p.language, p.section])).toStrictEqual([['hello Bob', 'en', undefined], ['İstanbul\'da yağmur var', 'tr', 'suffixed'], ['München ist schön', 'de', undefined]])
  expect(posts[1]?.mentions.map((m) => [m.start, m.end])).toStrictEqual([[0, 8]])
  expect(() => parseBrandSet('ok\n[Bob|PER|*|hero] hi', 'set.txt')).toThrow(/set\.txt:2: unknown mention kind hero/)
  expect(() => parseBrandSet('[Bob|PER|*|person|A|B] hi', 'set.txt')).toThrow(/set\.txt:1: unbalanced or malformed mention brackets/)
  expect(() => parseBrandSet('\n\n//! language=tr', 'set.txt')).toThrow(/set\.txt:3: malformed directive/)
  expect(() => parseBrandSet('//! lang=Turkish', 'set.txt')).toThrow(/set\.txt:1: language must be/)
  expect(() => parseBrandSet('//! kind=nope', 'set.txt')).toThrow(/set\.txt:1: unknown mention kind nope/)
  expect(() => parseBrandSet('[Bob|PER|*|person] [oops', 'set.txt')).toThrow(/set\.txt:1: unbalanced/)
})

test('`*` mentions add nothing to link precision or coverage', () => {
  const [post] = parseBrandSet('[Apple|ORG|gs:apple] and [Shell|ORG|*|common-word|Shell]')
  assert.ok(post !== undefined)
  const predicted: PredictedMention[] = [
    { ...at(post, 'Apple'), kind: 'text', type: 'ORG', canonicalId: 'gs:apple' },
    { ...at(post, 'Shell'), kind: 'text', type: 'ORG', canonicalId: 'wordnet:shell' }
  ]
  const scores = scoreBrandSet([post], new Map([[post.id, predicted]]))
  expect([scores.all.linkPrecision.correct, scores.all.linkPrecision.total]).toStrictEqual([1, 1])
  expect([scores.all.linkCoverage.correct, scores.all.linkCoverage.total]).toStrictEqual([1, 1])
  expect(scores.all.mentions.tp).toBe(2)
})

test('per kind and per language: found, typed right, brand attributed (brand, else link title) and false positives', () => {
  const posts = parseBrandSet([
    '//! kind=product',
    '[iPhone 15|OTHER|*|product|Apple] and [Galaxy S24|OTHER|*|product|Samsung] and [PS5|OTHER|*|product|Sony]',
    '//! kind=common-word',
    'an orange and [Shell|ORG|*|common-word|Shell]',
    '//! kind=-',
    '//! lang=tr',
    '[Galatasaray|ORG|*|club|Galatasaray] [İstanbul|LOC|*|suffixed]\'da'
  ].join('\n'))
  const [product, common, turkish] = posts
  assert.ok(product !== undefined && common !== undefined && turkish !== undefined)
  const predictions = new Map<string, PredictedMention[]>([
    [product.id, [
      { ...at(product, 'iPhone 15'), kind: 'text', type: 'OTHER', canonicalId: 'gs:iphone', linkTitle: 'iPhone', brand: 'apple' },
      { ...at(product, 'Galaxy S24'), kind: 'text', type: 'ORG', canonicalId: null }
    ]],
    [common.id, [
      { ...at(common, 'orange'), kind: 'text', type: 'ORG', canonicalId: 'gs:orange', linkTitle: 'Orange' },
      { ...at(common, 'Shell'), kind: 'text', type: 'ORG', canonicalId: 'gs:shell', linkTitle: 'Shell' }
    ]],
    [turkish.id, [
      { ...at(turkish, 'Galatasaray'), kind: 'text', type: 'PER', canonicalId: null, linkTitle: 'Galatasaray S.K.' },
      { ...at(turkish, 'İstanbul\'da'), kind: 'text', type: 'LOC', canonicalId: null }
    ]]
  ])
  const { byKind, byLanguage } = scoreBreakdown(posts, predictions)
  expect(Object.keys(byKind)).toStrictEqual(['common-word', 'product', 'club', 'suffixed', 'all'])
  const brief = (row: typeof byKind[string] | undefined): number[] => row === undefined ? [] : [row.gold, row.found.correct, row.typedRight.correct, row.brandAttributed.correct, row.brandAttributed.total, row.falsePositives]
  expect(brief(byKind.product), 'Galaxy found but typed ORG and unlinked; PS5 missed').toStrictEqual([3, 2, 1, 1, 3, 0])
  expect(brief(byKind['common-word']), 'orange the fruit is a false positive of its section').toStrictEqual([1, 1, 1, 1, 1, 1])
  expect(brief(byKind.club), 'a link title naming another thing is not the brand').toStrictEqual([1, 1, 0, 0, 1, 0])
  expect(brief(byKind.suffixed), 'the suffix is not part of the name').toStrictEqual([1, 0, 0, 0, 0, 0])
  expect(brief(byKind.all)).toStrictEqual([6, 4, 2, 2, 5, 2])
  expect(Object.keys(byLanguage)).toStrictEqual(['en', 'tr', 'all'])
  expect(brief(byLanguage.en)).toStrictEqual([4, 3, 2, 2, 4, 1])
  expect(brief(byLanguage.tr)).toStrictEqual([2, 1, 0, 0, 1, 1])
  expect(byKind.product?.found.value).toBe(2 / 3)
  const table = formatBreakdown('mention kind', byKind)
  expect(table).toMatch(/^mention kind +gold +found +typed +brand +\(n\) +FP\ncommon-word .*\nproduct +3 +66\.7 +33\.3 +33\.3 +3 +0\n/u)
  expect(formatBreakdown('language', { en: { gold: 0, found: { correct: 0, total: 0, value: 0 }, typedRight: { correct: 0, total: 0, value: 0 }, brandAttributed: { correct: 0, total: 0, value: 0 }, falsePositives: 0 } })).toMatch(/\nen +0 +0\.0 +0\.0 +- +0 +0$/u)
})

test('names compare without case, diacritics or punctuation; documents carry brand and title', () => {
  expect(sameName("McDonald's", 'mcdonalds')).toBeTruthy()
  expect(sameName('İstanbul', 'istanbul')).toBeTruthy()
  expect(sameName('Estée Lauder', 'ESTEE LAUDER')).toBeTruthy()
  expect(!sameName('Apple', 'Apple Music')).toBeTruthy()
  const jsonl = [
    JSON.stringify({ post_id: 'brand-001', entity: { text: 'iPhone 15', start: 0, end: 9, type: 'OTHER', canonical_id: 'gs:iphone', canonical_title: 'iPhone', brand: 'Apple' } }),
    JSON.stringify({ post_id: 'brand-001', entity: { text: 'Paris', start: 20, end: 25, type: 'LOC', canonical_id: null, canonical_title: null } })
  ].join('\n')
  expect(documentsToPredictions(jsonl).get('brand-001')?.map((p) => [p.brand, p.linkTitle])).toStrictEqual([['Apple', 'iPhone'], [undefined, undefined]])
})

test('the two new sets are big enough: 160 posts each, 25 mentions of every brand kind, 20 posts of every language', () => {
  const kinds = parseBrandSet(readFileSync(repoPath('test/fixtures/brand-kinds.txt'), 'utf8'), 'brand-kinds.txt')
  expect(kinds.length >= 160, `${kinds.length} posts`).toBeTruthy()
  for (const kind of ['common-word', 'product', 'founder-house', 'retailer', 'club', 'event-tag'] as const) {
    expect(kinds.filter((post) => post.section === kind).length >= 25, `${kind} posts`).toBeTruthy()
    expect(kinds.flatMap((post) => post.mentions).filter((m) => m.goldKind === kind).length >= 25, `${kind} mentions`).toBeTruthy()
  }
  expect(kinds.flatMap((post) => post.mentions).every((m) => m.goldKind !== undefined && (GOLD_KINDS as readonly string[]).includes(m.goldKind))).toBeTruthy()
  const multi = parseBrandSet(readFileSync(repoPath('test/fixtures/multilingual-set.txt'), 'utf8'), 'multilingual-set.txt')
  expect(multi.length >= 160, `${multi.length} posts`).toBeTruthy()
  for (const language of ['en', 'es', 'de', 'fr', 'tr', 'pt', 'id', 'nl', 'it']) {
    expect(multi.filter((post) => post.language === language).length >= 20, `${language} posts`).toBeTruthy()
  }
  expect(multi.flatMap((post) => post.mentions).every((m) => m.goldKind !== undefined)).toBeTruthy()
})
