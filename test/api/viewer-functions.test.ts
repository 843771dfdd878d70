// The viewer's pure functions (public/chart.js, public/labels.js), loaded in
// Node as the browser loads them: chart ticks, axis labels, plurals and box
// label placement. test/api/viewer.test.ts checks the same on the page.
import { expect, test } from 'vitest'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from '../deploy/helpers.js'

interface Chart {
  niceTicks (max: number, most?: number): number[]
  placeAxisLabel (center: number, chars: number, left: number, right: number, charWidth?: number): { x: number, anchor: string }
  plural (count: number, noun: string, nouns?: string): string
}
interface Labels {
  placeLabels (items: Array<{ x: number, y: number, w: number, h: number, lw: number, lh: number }>, width: number, height: number): Array<{ x: number, y: number }>
}
// A computed specifier: the browser modules have no type declarations.
const load = async <T>(file: string): Promise<T> => await import(pathToFileURL(resolve(ROOT, file)).href) as T

test('niceTicks: integer ticks from 0, no repeats, the last at or above the top count', async () => {
  const { niceTicks } = await load<Chart>('public/chart.js')
  expect(niceTicks(1), 'the user\'s "1, 1, 0"').toStrictEqual([0, 1])
  expect(niceTicks(0)).toStrictEqual([0, 1])
  expect(niceTicks(3)).toStrictEqual([0, 1, 2, 3])
  expect(niceTicks(5)).toStrictEqual([0, 2, 4, 6])
  expect(niceTicks(10)).toStrictEqual([0, 5, 10])
  expect(niceTicks(99)).toStrictEqual([0, 50, 100])
  for (let max = 0; max <= 5000; max += 1) {
    const ticks = niceTicks(max)
    expect(ticks.every((t) => Number.isInteger(t)), `max ${max}`).toBe(true)
    expect(new Set(ticks).size, `max ${max}`).toBe(ticks.length)
    expect(ticks[0]).toBe(0)
    expect(ticks.length).toBeLessThanOrEqual(5)
    expect(ticks[ticks.length - 1] ?? -1, `max ${max}`).toBeGreaterThanOrEqual(max)
  }
})

test('placeAxisLabel: the first and last labels are anchored inside the drawing', async () => {
  const { placeAxisLabel } = await load<Chart>('public/chart.js')
  // "2026-01-09 12:00" (16 characters, about 96 units) under the first bar at 37.
  expect(placeAxisLabel(37, 16, 1, 719)).toStrictEqual({ x: 1, anchor: 'start' })
  expect(placeAxisLabel(700, 16, 1, 719)).toStrictEqual({ x: 719, anchor: 'end' })
  expect(placeAxisLabel(360, 16, 1, 719)).toStrictEqual({ x: 360, anchor: 'middle' })
})

test('plural: 1 mention, 2 mentions, 0 posts', async () => {
  const { plural } = await load<Chart>('public/chart.js')
  expect(plural(1, 'mention')).toBe('1 mention')
  expect(plural(2, 'mention')).toBe('2 mentions')
  expect(plural(0, 'post')).toBe('0 posts')
  expect(plural(1, 'entity', 'entities')).toBe('1 entity')
})

test('placeLabels: labels stay inside the image and do not overlap', async () => {
  const { placeLabels } = await load<Labels>('public/labels.js')
  const inside = (at: { x: number, y: number }, lw: number, lh: number, width: number, height: number): boolean => at.x >= 0 && at.y >= 0 && at.x + lw <= width && at.y + lh <= height
  // Above its box as a rule.
  expect(placeLabels([{ x: 50, y: 50, w: 40, h: 40, lw: 60, lh: 16 }], 300, 200)).toStrictEqual([{ x: 50, y: 34 }])
  // At the top edge: inside the box; at the right edge: pulled left.
  expect(placeLabels([{ x: 10, y: 4, w: 40, h: 40, lw: 60, lh: 16 }], 300, 200)).toStrictEqual([{ x: 10, y: 4 }])
  expect(placeLabels([{ x: 280, y: 100, w: 20, h: 20, lw: 90, lh: 16 }], 300, 200)).toStrictEqual([{ x: 210, y: 84 }])
  // Two boxes on one logo: the later label moves down by a label height.
  const two = [{ x: 20, y: 40, w: 100, h: 60, lw: 80, lh: 16 }, { x: 30, y: 42, w: 80, h: 50, lw: 90, lh: 16 }]
  expect(placeLabels(two, 300, 200)).toStrictEqual([{ x: 20, y: 24 }, { x: 30, y: 42 }])
  // Many boxes at the bottom right corner: all inside, none overlapping.
  const crowd = Array.from({ length: 6 }, (_, i) => ({ x: 250 + i, y: 190, w: 10, h: 10, lw: 70, lh: 16 }))
  const placed = placeLabels(crowd, 300, 200)
  for (const at of placed) expect(inside(at, 70, 16, 300, 200), JSON.stringify(at)).toBe(true)
  for (let i = 0; i < placed.length; i += 1) {
    for (let j = 0; j < i; j += 1) expect(Math.abs((placed[i]?.y ?? 0) - (placed[j]?.y ?? 0)), `${i} vs ${j}`).toBeGreaterThanOrEqual(16)
  }
})
