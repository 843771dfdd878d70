// Plain fakes for the cache's dependencies: sources that hang or fail, and a
// clock the test moves. The table source and PostWork items are shared with
// the benchmark (bench/support/knowledge.ts).
import { GroundstreamError } from '../../src/errors/index.js'
import { parseKnowledgeConfig } from '../../src/knowledge-cache/index.js'
import type { KnowledgeConfig, SourceQuery } from '../../src/knowledge-cache/index.js'
import type { CountingSource } from '../../bench/support/knowledge.js'

export interface FakeClock {
  now: () => number
  advance: (ms: number) => void
}

export function fakeClock (start = 1_700_000_000_000): FakeClock {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

/** Never answers and ignores its abort signal: the worst a source can do. */
export function hangingSource (name = 'dead'): CountingSource {
  const calls: string[] = []
  return {
    name,
    calls,
    answers: new Map(),
    lookup (query: SourceQuery) {
      calls.push(query.key)
      return new Promise<never>(() => undefined)
    }
  }
}

export function failingSource (name = 'broken'): CountingSource {
  const calls: string[] = []
  return {
    name,
    calls,
    answers: new Map(),
    async lookup (query: SourceQuery) {
      calls.push(query.key)
      throw new GroundstreamError('GS_ERR_KNOWLEDGE_SOURCE', 'upstream exploded', { retriable: true })
    }
  }
}

export function testConfig (overrides: Record<string, unknown> = {}): KnowledgeConfig {
  return parseKnowledgeConfig({ sources: [], ...overrides })
}
