// Stage 1: type-agnostic entity span candidates for each post.
import type { Candidate, Word } from '../contracts/index.js'
import type { PostWork, Stage, StageInstrumentation } from '../pipeline/types.js'
import type { TextModels } from './text-engine.js'
import { splitWords } from './words.js'
import type { WordSpan } from './decoding.js'

export interface Stage1Options {
  minSpanScore: number
}

export function spanToCandidate (postId: string, text: string, words: readonly Word[], span: WordSpan): Candidate {
  const first = words[span.start] as Word
  const last = words[span.end - 1] as Word
  return {
    postId,
    text: text.slice(first.start, last.end),
    start: first.start,
    end: last.end,
    wordStart: span.start,
    wordEnd: span.end,
    score: span.score
  }
}

export function createStage1 (models: TextModels, options: Stage1Options, instrumentation?: StageInstrumentation): Stage {
  return Object.freeze({
    name: 'stage1' as const,
    async init () {},
    async run (batch: PostWork[]): Promise<PostWork[]> {
      const started = performance.now()
      // Only the analysed prefix (pipeline limits) is read, so a long post costs no more than its cap.
      const words = batch.map((work) => splitWords(work.post.text.slice(0, work.analysedChars)))
      const results = await models.detectSpans(words.map((postWords) => ({ words: postWords.map((word) => word.text) })))
      batch.forEach((work, i) => {
        const postWords = words[i] as Word[]
        const spans = (results[i]?.spans ?? []).filter((span) => span.score >= options.minSpanScore)
        work.candidates = spans.map((span) => spanToCandidate(work.post.id, work.post.text, postWords, span))
        work.knowledge = work.candidates.map(() => null)
      })
      const durationMs = performance.now() - started
      for (const work of batch) work.timings.stage1 = durationMs
      instrumentation?.batchEnd({ stage: 'stage1', size: batch.length, durationMs })
      return batch
    },
    async close () {}
  })
}
