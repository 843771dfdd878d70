// Stage 1: type-agnostic entity span candidates for each post.
import type { Candidate, Word } from '../contracts/index.js'
import type { PostWork, Stage } from '../pipeline/index.js'
import type { Recognizer } from './config.js'
import type { TextModels } from './text-engine.js'
import { splitWords } from './words.js'
import type { WordSpan } from './decoding.js'
import { loadWordSegmenter, type WordSegmenter } from './segment.js'
import { withTagCandidates } from './tags.js'
import { withNameCandidates, type NameMatcher } from './name-candidates.js'

export interface Stage1Options {
  /** `mqspn`: spans come typed from the set recogniser (their `typeScores` set); default `scanner`. */
  recognizer?: Recognizer
  /** Stage-1 tagger spans below this score are dropped (the set recogniser decides by type probability instead). */
  minSpanScore: number
  /** Add #hashtag/@handle candidates (src/stages/tags.ts). */
  tagCandidates?: boolean
  /** The user's catalogue names: each is a candidate wherever it is written (src/stages/name-candidates.ts). */
  names?: NameMatcher
  /** The word segmenter for all-lower-case tags; loaded at init from the shipped word list when absent. */
  segmenter?: WordSegmenter
}

function spanToCandidate (postId: string, text: string, words: readonly Word[], span: WordSpan & { typeScores?: number[] }): Candidate {
  const first = words[span.start] as Word
  const last = words[span.end - 1] as Word
  const candidate: Candidate = {
    postId,
    text: text.slice(first.start, last.end),
    start: first.start,
    end: last.end,
    wordStart: span.start,
    wordEnd: span.end,
    score: span.score
  }
  if (span.typeScores !== undefined) candidate.typeScores = span.typeScores
  return candidate
}

/** Each post's spans from the configured recogniser. */
async function findSpans (models: TextModels, options: Stage1Options, words: string[][]): Promise<Array<Array<WordSpan & { typeScores?: number[] }>>> {
  const requests = words.map((postWords) => ({ words: postWords }))
  if (options.recognizer === 'mqspn') return (await models.recogniseSet(requests)).map((result) => result.spans)
  return (await models.detectSpans(requests)).map((result) => result.spans.filter((span) => span.score >= options.minSpanScore))
}

export function createStage1 (models: TextModels, options: Stage1Options): Stage {
  const tags = options.tagCandidates === true
  let segmenter: WordSegmenter | null = options.segmenter ?? null
  return Object.freeze({
    name: 'stage1' as const,
    async init () {
      if (tags && segmenter === null) segmenter = await loadWordSegmenter()
    },
    async run (batch: PostWork[]): Promise<PostWork[]> {
      // Only the analysed prefix (pipeline limits) is read, so a long post costs no more than its cap.
      const words = batch.map((work) => splitWords(work.post.text.slice(0, work.analysedChars)))
      const found = await findSpans(models, options, words.map((postWords) => postWords.map((word) => word.text)))
      batch.forEach((work, i) => {
        const postWords = words[i] as Word[]
        // Stage 2 reads the same words (sentence window, entity words) instead of splitting again.
        work.words = postWords
        const spans = found[i] ?? []
        const modelCandidates = spans.map((span) => spanToCandidate(work.post.id, work.post.text, postWords, span))
        const tagged = tags ? withTagCandidates(work.post.id, work.post.text, postWords, modelCandidates, segmenter) : modelCandidates
        const candidates = options.names === undefined ? tagged : withNameCandidates(work.post.id, work.post.text, postWords, tagged, options.names)
        work.candidates = candidates.map((candidate) => ({ candidate, knowledge: null }))
      })
      return batch
    },
    async close () {}
  })
}
