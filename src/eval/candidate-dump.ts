// One JSON line per text candidate of a permissive eval run: stage 2's raw
// probabilities, the link-evidence features the knowledge cache gives it
// (src/stages/link-prior.ts) and its gold label (the gold type of the same
// span, or NONE). training/gmner/link_prior.py fits the link prior on
// these lines. The surfaces are the data set's text: keep the file out of
// the repository.
import { hasLinkEvidence, LINK_EVIDENCE_FEATURES, linkEvidence } from '../stages/index.js'
import type { RecordedPost } from './sweep.js'

export interface CandidateLine {
  post: string
  text: string
  spanScore: number
  scores: number[]
  evidence: number[]
  /** Whether the prior applies to it (hasLinkEvidence): the fit uses only these. */
  linked: boolean
  label: string
}

/** The dump file: a header line naming the evidence features, then one line per candidate. */
export function candidateDump (posts: readonly RecordedPost[]): { text: string, candidates: number } {
  const lines = candidateLines(posts)
  const header = JSON.stringify({ features: LINK_EVIDENCE_FEATURES })
  return { text: [header, ...lines.map((line) => JSON.stringify(line))].join('\n') + '\n', candidates: lines.length }
}

export function candidateLines (posts: readonly RecordedPost[]): CandidateLine[] {
  return posts.flatMap(({ work, tweet }) => work.entities.flatMap((entity) => {
    const { candidate } = entity
    if ((candidate.kind ?? 'text') !== 'text' || entity.typeScores === undefined) return []
    // Stage 2 may have dropped a name's suffix (src/stages/name-suffix.ts): the record is the one that starts there.
    const record = work.candidates.find((each) => each.candidate.start === candidate.start && each.candidate.wordEnd === candidate.wordEnd)
    const evidence = linkEvidence(candidate, record?.links ?? [])
    const gold = tweet.entities.find((each) => each.start === candidate.start && each.end === candidate.end)
    return [{
      post: tweet.imageId,
      text: candidate.text,
      spanScore: candidate.score,
      scores: [...entity.typeScores],
      evidence,
      linked: hasLinkEvidence(evidence),
      label: gold?.type ?? 'NONE'
    }]
  }))
}
