// Caps on the work one post may cause. A post of 20,000 characters is valid,
// but left alone it fans out to ~1,600 candidates, ~10 s of stage-2 time and
// hundreds of megabytes of documents. So each post is analysed up to
// maxAnalysedChars (the prefix the models read and the text its mention
// documents carry), keeps its best maxCandidates stage-1 candidates and at
// most maxMentions typed entities. Whatever a cap cut is recorded on the post
// (`truncated`), counted in metrics and marked on its documents.
import type { PostWork } from './types.js'

export type PostCap = 'chars' | 'candidates' | 'mentions'

export interface PostLimits {
  /** Characters of a post the models read; mention documents carry the same prefix. */
  maxAnalysedChars: number
  /** Stage-1 candidates passed on per post (the highest-scored are kept). */
  maxCandidates: number
  /** Typed entities (mention documents) per post (the first in the text are kept). */
  maxMentions: number
}

function mark (work: PostWork, cap: PostCap): void {
  const truncated = work.truncated ?? (work.truncated = [])
  if (!truncated.includes(cap)) truncated.push(cap)
}

/** Length of the analysed prefix: at most max UTF-16 units, never ending inside a surrogate pair. */
export function analysedLength (text: string, max: number): number {
  if (text.length <= max) return text.length
  const last = text.charCodeAt(max - 1)
  return last >= 0xd800 && last <= 0xdbff ? max - 1 : max
}

/** On admission: fixes how much of the post is analysed. */
export function limitOnAdmission (work: PostWork, limits: PostLimits): void {
  const length = analysedLength(work.post.text, limits.maxAnalysedChars)
  work.analysedChars = length
  if (length < work.post.text.length) mark(work, 'chars')
}

/** After a stage: drops what lies past the analysed prefix and applies the count caps. */
export function limitAfterStage (work: PostWork, stage: string, limits: PostLimits): void {
  const end = work.analysedChars ?? work.post.text.length
  if (stage === 'stage1') {
    let kept = work.candidates.map((record, i) => ({ record, i }))
      .filter(({ record }) => record.candidate.end <= end)
    if (kept.length > limits.maxCandidates) {
      mark(work, 'candidates')
      kept = [...kept].sort((a, b) => b.record.candidate.score - a.record.candidate.score || a.i - b.i)
        .slice(0, limits.maxCandidates)
        .sort((a, b) => a.i - b.i)
    }
    if (kept.length !== work.candidates.length) work.candidates = kept.map((entry) => entry.record)
  } else if (stage === 'stage2') {
    const inside = work.entities.filter((entity) => entity.candidate.end <= end)
    if (inside.length > limits.maxMentions) {
      mark(work, 'mentions')
      work.entities = inside.slice(0, limits.maxMentions)
    } else if (inside.length !== work.entities.length) {
      work.entities = inside
    }
  }
}
