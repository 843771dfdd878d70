// Trending's ranking, which both backends share: a real significance (the
// z-score of this window's count against the window before), not the raw
// ratio, and a minimum count so that "1 vs 0" is not news.
import { expect, test } from 'vitest'
import { rankTrending, trendingScore } from '../../src/api/query-rules.js'
import { TRENDING_MIN_COUNT } from '../../src/api/requests.js'

const row = (entity: string, current: number, previous: number): { entity: string, text: string, type: 'ORG', canonical_id: null, canonical_title: null, brand: null, current: number, total: number } =>
  ({ entity, text: entity, type: 'ORG', canonical_id: null, canonical_title: null, brand: null, current, total: current + previous })

test('trendingScore is the binomial z-score of current among both windows', () => {
  expect(trendingScore(6, 1)).toBeCloseTo(5 / Math.sqrt(7), 10)
  expect(trendingScore(1, 0)).toBe(1)
  expect(trendingScore(0, 0)).toBe(0)
  expect(trendingScore(2, 5)).toBeLessThan(0)
  expect(trendingScore(60, 10), 'the same rise over more mentions is more significant').toBeGreaterThan(trendingScore(6, 1))
})

test('rankTrending ranks by significance, not by the raw ratio', () => {
  // 4 vs 0 has the larger ratio (5) but 40 vs 10 (ratio 3.7) is far less likely to be chance.
  const ranked = rankTrending([row('small', 4, 0), row('big', 40, 10), row('flat', 5, 5), row('falling', 3, 9)], { min_count: 3, size: 10 })
  expect(ranked.map((e) => e.entity)).toStrictEqual(['big', 'small'])
  expect(ranked[0]).toMatchObject({ current: 40, previous: 10, change: 30, score: Number((30 / Math.sqrt(50)).toFixed(4)) })
  expect(ranked[0]?.ratio).toBeCloseTo(41 / 11, 10)
})

test('rankTrending drops entities under min_count; the default minimum is 3', () => {
  expect(TRENDING_MIN_COUNT).toBe(3)
  const rows = [row('one', 1, 0), row('two', 2, 0), row('three', 3, 0)]
  expect(rankTrending(rows, { min_count: TRENDING_MIN_COUNT, size: 10 }).map((e) => e.entity)).toStrictEqual(['three'])
  expect(rankTrending(rows, { min_count: 1, size: 10 }).map((e) => e.entity)).toStrictEqual(['three', 'two', 'one'])
})

test('rankTrending breaks ties by ratio, then current, then entity, and keeps size', () => {
  // Equal scores: a vs b differ in nothing but the name.
  const ranked = rankTrending([row('b', 5, 1), row('a', 5, 1), row('c', 9, 0)], { min_count: 1, size: 2 })
  expect(ranked.map((e) => e.entity)).toStrictEqual(['c', 'a'])
})
