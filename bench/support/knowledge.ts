// Stand-ins the knowledge benchmark and the knowledge-cache tests share: a
// source answering from a table (counting its calls) and PostWork items with
// given candidates for the `knowledge` stage.
import { NO_IMAGE } from '../../src/contracts/index.js'
import type { Candidate } from '../../src/contracts/index.js'
import type { KnowledgeSource, SourceAnswer, SourceQuery } from '../../src/knowledge-cache/index.js'
import type { PostWork } from '../../src/pipeline/index.js'

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

/** A post whose stage-1 candidates are `texts`, ten characters apart. */
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
