// The run summary's throughput line: the sustained rate (first micro-batch to
// last post) with the whole-run rate beside it, and startup on its own line.
import { describe, expect, it } from 'vitest'
import { formatSummary, shownOf } from '../../src/cli/summary.js'
import type { RunSummary } from '../../src/service/index.js'

const summary: RunSummary = {
  mode: 'file',
  sink: 'jsonl',
  elapsedMs: 10_000,
  startupMs: 4_000,
  processingMs: 5_000,
  postsDone: 1_500,
  documents: 2_000,
  deadLetters: {},
  batches: 47,
  stages: { stage1: { batches: 47, posts: 1_500, totalMs: 2_000 } },
  sinkStats: { batches: 47, posts: 1_500, totalMs: 100 },
  pipelineLatencyMs: { p50: 80, p99: 200, max: 250 },
  images: {},
  boxed: { count: 0, examples: [] },
  exitCode: 0
}

describe('run summary', () => {
  it('prints the sustained rate, the whole-run rate and startup apart', () => {
    const text = formatSummary(summary)
    expect(text).toMatch(/posts indexed\s+1500 {2}\(300\.0 posts\/s; 150\.0 posts\/s including startup\)/)
    expect(text).toMatch(/startup\s+4\.00 s/)
  })
})

describe('run summary result cache', () => {
  it('prints how many inputs each stage answered from the cache, only when the run had one', () => {
    expect(formatSummary(summary)).not.toMatch(/result cache/)
    const text = formatSummary({ ...summary, resultCache: { stage1: { hits: 382, misses: 1_118 }, stage2: { hits: 0, misses: 0 } } })
    expect(text).toMatch(/result cache\s+stage 1 382 of 1500 \(25\.5 %\), stage 2 0 of 0 inputs answered without running the model/)
  })
})

describe('run summary boxed entities', () => {
  const example = { postId: 'p1', text: 'Acme', type: 'ORG' as const, label: 'logo', box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }
  it('says how many of the boxed entities it lists when it lists only the first ones', () => {
    const text = formatSummary({ ...summary, boxed: { count: 9, examples: Array.from({ length: 8 }, () => example) } })
    expect(text).toMatch(/boxed entities\s+9 \(8 of 9 shown\)\n/)
    expect(text.split('\n').filter((line) => line.includes('Acme (ORG)')).length).toBe(8)
  })
  it('says nothing more when it lists them all', () => {
    expect(formatSummary({ ...summary, boxed: { count: 2, examples: [example, example] } })).toMatch(/boxed entities\s+2\n/)
    expect(shownOf(8, 8)).toBe('')
    expect(shownOf(8, 120)).toBe(' (8 of 120 shown)')
  })
})
