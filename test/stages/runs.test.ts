import { expect, test } from 'vitest'
import { planRuns } from '../../src/stages/runs.js'

const cost = (lengths: readonly number[], runs: number[][], runCost: number): number =>
  runs.reduce((sum, run) => sum + runCost + run.length * Math.max(...run.map((i) => lengths[i] as number)), 0)

/** Every way of cutting the sorted order into contiguous runs of at most maxPerRun: the cheapest cost. */
function bruteForce (sorted: readonly number[], maxPerRun: number, runCost: number): number {
  if (sorted.length === 0) return 0
  let best = Number.POSITIVE_INFINITY
  for (let size = 1; size <= Math.min(maxPerRun, sorted.length); size++) {
    best = Math.min(best, runCost + size * (sorted[size - 1] as number) + bruteForce(sorted.slice(size), maxPerRun, runCost))
  }
  return best
}

test('planRuns covers every sequence once, in length order, within maxPerRun', () => {
  const lengths = [40, 12, 12, 99, 30, 31, 12, 45, 64, 13]
  const runs = planRuns(lengths, { maxPerRun: 3, runCostTokens: 20 })
  const flat = runs.flat()
  expect([...flat].sort((a, b) => a - b)).toStrictEqual(lengths.map((_, i) => i))
  for (let i = 1; i < flat.length; i++) expect((lengths[flat[i - 1] as number] as number) <= (lengths[flat[i] as number] as number)).toBeTruthy()
  for (const run of runs) expect(run.length >= 1 && run.length <= 3).toBeTruthy()
})

test('planRuns finds the cheapest cut (checked against brute force)', () => {
  let state = 7
  const next = (): number => { state = (state * 1103515245 + 12345) % 2147483648; return state }
  for (let trial = 0; trial < 60; trial++) {
    const lengths = Array.from({ length: 1 + next() % 9 }, () => 5 + next() % 90)
    const maxPerRun = 1 + next() % 5
    const runCost = next() % 120
    const runs = planRuns(lengths, { maxPerRun, runCostTokens: runCost })
    const sorted = [...lengths].sort((a, b) => a - b)
    expect(cost(lengths, runs, runCost), `lengths ${lengths.join(',')} max ${maxPerRun} cost ${runCost}`).toBe(bruteForce(sorted, maxPerRun, runCost))
  }
})

test('a huge run cost keeps full runs; no run cost splits by length; no sequences, no runs', () => {
  const lengths = [30, 10, 20, 10, 30, 20]
  expect(planRuns(lengths, { maxPerRun: 64, runCostTokens: 1_000_000 })).toStrictEqual([[1, 3, 2, 5, 0, 4]])
  expect(planRuns(lengths, { maxPerRun: 4, runCostTokens: 1_000_000 }).map((run) => run.length).sort()).toStrictEqual([2, 4])
  expect(planRuns(lengths, { maxPerRun: 64, runCostTokens: 0 })).toStrictEqual([[1, 3], [2, 5], [0, 4]])
  expect(planRuns([], { maxPerRun: 8, runCostTokens: 32 })).toStrictEqual([])
})
