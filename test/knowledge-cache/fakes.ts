// Plain fakes for the cache's dependencies: sources that count their calls,
// hang, or fail; a clock the test moves; PostWork items for the stage.
import { NO_IMAGE } from '../../src/contracts/index.js'
import type { Candidate } from '../../src/contracts/index.js'
import { GroundstreamError } from '../../src/errors/index.js'
import { parseKnowledgeConfig } from '../../src/knowledge-cache/index.js'
import type { KnowledgeConfig, KnowledgeSource, SourceAnswer, SourceQuery } from '../../src/knowledge-cache/index.js'
import type { PostWork } from '../../src/pipeline/types.js'

export interface FakeClock {
  now: () => number
  advance: (ms: number) => void
}

export function fakeClock (start = 1_700_000_000_000): FakeClock {
  let now = start
  return { now: () => now, advance: (ms) => { now += ms } }
}

export interface CountingSource extends KnowledgeSource {
  calls: string[]
  answers: Map<string, SourceAnswer | null>
}

/** Answers from a table, after an optional delay; counts every call. */
export function tableSource (name: string, table: Record<string, string>, delayMs = 0): CountingSource {
  const answers = new Map<string, SourceAnswer | null>(Object.entries(table).map(([key, text]) => [key, { canonicalId: `${name}:${key}`, title: key, text }]))
  const calls: string[] = []
  return {
    name,
    calls,
    answers,
    async lookup (query: SourceQuery) {
      calls.push(query.key)
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return answers.get(query.key) ?? null
    }
  }
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

export function work (postId: string, texts: string[]): PostWork {
  const candidates: Candidate[] = texts.map((text, index) => ({ postId, text, start: index * 10, end: index * 10 + text.length, wordStart: index, wordEnd: index + 1, score: 0.9 }))
  return {
    post: { id: postId, text: texts.join(' '), created_at: '2026-11-21T08:00:00Z', image_urls: [] },
    source: { topic: 'posts', partition: 0, offset: '0' },
    candidates: candidates.map((candidate) => ({ candidate, knowledge: null })),
    image: NO_IMAGE,
    entities: [],
    timings: {}
  }
}
