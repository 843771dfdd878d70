// Stage 2: type each candidate from its knowledge-enriched SCANNER prompt and
// ground it to a region of the post's image (or None).
import { STAGE2_LABELS, type Candidate, type CandidateRegion, type EntityType, type Grounding, type ImageContext, type ImageRegion, type Knowledge, type RecognisedEntity, type Stage2Label, type Word } from '../contracts/index.js'
import { argmax } from './decoding.js'
import type { CandidateRecord, PostWork, Stage } from '../pipeline/index.js'
import { STAGE2_BUDGET } from './encoding.js'
import { decideType, type TypeDecisionOptions } from './decision.js'
import type { TextModels, TypeRequest, TypeResult } from './text-engine.js'
import { splitWords } from './words.js'
import { chooseLink, decideTagType, decideTrackedType, trackedOption, type TrackedOverride, type TypeDecision } from './linking.js'
import { applyLinkPrior, linkEvidence, type LinkPrior } from './link-prior.js'
import { withoutNameSuffix } from './name-suffix.js'

export interface Stage2Options extends TypeDecisionOptions {
  /** For #/@ candidates (src/stages/linking.ts decideTagType); defaults to minTypeScore. */
  minTagScore?: number
  /** Stage-2 score an ambiguous name needs before it is linked; 1 links no ambiguous name. */
  ambiguousLinkMinScore?: number
  /** A name of the user's catalogue takes another type (or none) only when stage 2 gives that this much (decideTrackedType). */
  trackedOverrideScore?: number
  /** Called when stage 2 overrules a tracked name, so the service can say why (a log line and a metric). */
  onTrackedOverride?: (event: TrackedOverride) => void
  /** Re-weighs the prompt model's probabilities of a text mention by what the knowledge cache linked it to (src/stages/link-prior.ts). */
  linkPrior?: LinkPrior | null
}

/** The words stage 2 reads as the entity: a tag's segmented reading, or the candidate's own words. */
function entityWords (candidate: Candidate, words: readonly Word[]): string[] {
  if (candidate.query !== undefined) return candidate.query.split(' ').filter((word) => word.length > 0)
  return words.slice(candidate.wordStart, candidate.wordEnd).map((word) => word.text)
}

export interface GroundingRequest {
  entityText: string
  type: EntityType
  knowledge: Knowledge | null
  image: ImageContext
  /** Regions in the order they were put in the prompt; `objScores[i]` belongs to `regions[i]`. */
  regions: readonly ImageRegion[]
  objScores: readonly number[]
  /** Aligned with `regions`: the image stage's similarity of this candidate to each region. */
  similarity?: readonly number[]
}

/** Chooses the region an entity is shown in, or null (the entity is not visible). */
export type RegionGrounder = (request: GroundingRequest) => Grounding | null

/** Words of the post around the entity, so long posts keep the entity's context. */
const SENTENCE_WORDS = 64

function sentenceWindow (words: readonly Word[], wordStart: number, wordEnd: number): string[] {
  if (words.length <= SENTENCE_WORDS) return words.map((word) => word.text)
  const centre = Math.floor((wordStart + wordEnd) / 2)
  const start = Math.max(0, Math.min(centre - SENTENCE_WORDS / 2, words.length - SENTENCE_WORDS))
  return words.slice(start, start + SENTENCE_WORDS).map((word) => word.text)
}

function regionLabel (region: ImageRegion): string {
  return region.kind === 'text' && region.text !== null ? region.text : region.label
}

/** The regions of one candidate's prompt: in the image path's order (the regions' own without one), at most K. */
function promptRegions (image: ImageContext, ranked: readonly CandidateRegion[] | undefined): CandidateRegion[] {
  const order = ranked ?? image.regions.map((_, index) => ({ index, similarity: null }))
  return order.filter((region) => image.regions[region.index] !== undefined).slice(0, STAGE2_BUDGET.objects)
}

interface PromptOwner {
  work: PostWork
  record: CandidateRecord
  order: number
  regions: ImageRegion[]
  similarity: number[] | undefined
}

export interface TypePrompts {
  /** The SCANNER prompts stage 2 runs, one per candidate still to be typed. */
  requests: TypeRequest[]
  owners: PromptOwner[]
  /** Candidates the set recogniser already typed: they skip the prompt model. */
  typed: Array<{ owner: PromptOwner, result: TypeResult }>
}

/** What stage 2 will ask the prompt model for this batch (also what bench:text measures), one prompt per candidate. */
export function typePrompts (batch: readonly PostWork[]): TypePrompts {
  const requests: TypeRequest[] = []
  const owners: PromptOwner[] = []
  const typed: TypePrompts['typed'] = []
  for (const work of batch) {
    // Stage 1's words; split here only when stage 2 runs without it (tools, tests).
    const words = work.words ?? splitWords(work.post.text.slice(0, work.analysedChars))
    work.candidates.forEach((record, order) => {
      const { candidate, knowledge } = record
      const picked = promptRegions(work.image, record.regions)
      const regions = picked.map((region) => work.image.regions[region.index] as ImageRegion)
      const similarity = picked.some((region) => region.similarity !== null) ? picked.map((region) => region.similarity ?? 0) : undefined
      const owner = { work, record, order, regions, similarity }
      if (candidate.typeScores !== undefined) {
        const scores = candidate.typeScores
        typed.push({ owner, result: { label: STAGE2_LABELS[argmax(scores)] as Stage2Label, scores, objScores: [] } })
        return
      }
      requests.push({
        entityWords: entityWords(candidate, words),
        sentenceWords: sentenceWindow(words, candidate.wordStart, candidate.wordEnd),
        knowledge: knowledge?.text ?? '',
        imageText: work.image.description,
        objectLabels: regions.map(regionLabel)
      })
      owners.push(owner)
    })
  }
  return { requests, owners, typed }
}

export function createStage2 (models: TextModels, options: Stage2Options, ground: RegionGrounder): Stage {
  return Object.freeze({
    name: 'stage2' as const,
    async init () {},
    async run (batch: PostWork[]): Promise<PostWork[]> {
      const { requests, owners, typed } = typePrompts(batch)
      for (const work of batch) work.entities = []
      const position = new Map(batch.map((work, i) => [work, i]))
      const prompted: TypeResult[] = requests.length === 0 ? [] : await models.recogniseTypes(requests)
      const prior = options.linkPrior ?? null
      const decided = [...typed.map((entry) => ({ ...entry, prompted: false })), ...prompted.map((result, i) => ({ owner: owners[i] as typeof owners[number], result, prompted: true }))]
        .sort((a, b) => ((position.get(a.owner.work) ?? 0) - (position.get(b.owner.work) ?? 0)) || a.owner.order - b.owner.order)
      for (const { owner, result: modelResult, prompted: fromPrompt } of decided) {
        const { candidate, knowledge } = owner.record
        const linkOptions = owner.record.links ?? []
        const isText = (candidate.kind ?? 'text') === 'text'
        const result = isText && fromPrompt && prior !== null
          ? { ...modelResult, scores: applyLinkPrior(prior, modelResult.scores, linkEvidence(candidate, linkOptions)) }
          : modelResult
        let decision: TypeDecision | null
        const tracked = isText ? trackedOption(linkOptions) : undefined
        if (tracked !== undefined) {
          decision = decideTrackedType(result.scores, tracked, options.trackedOverrideScore ?? 1)
          if (decision?.type !== tracked.type) {
            options.onTrackedOverride?.({
              postId: candidate.postId,
              text: candidate.text,
              entryId: tracked.id,
              entryType: tracked.type as EntityType,
              to: decision?.type ?? null,
              score: decision?.score ?? (result.scores[STAGE2_LABELS.indexOf('NONE')] ?? 0)
            })
          }
        } else if (isText) {
          decision = decideType(result.scores, options)
        } else {
          decision = decideTagType(result, linkOptions, candidate, options.minTagScore ?? options.minTypeScore)
        }
        if (decision === null) continue
        const { type, score: typeScore } = decision
        const link = chooseLink(linkOptions, candidate, type, typeScore, { ambiguousMinScore: options.ambiguousLinkMinScore ?? 1 })
        const entity: RecognisedEntity = {
          candidate: withoutNameSuffix(candidate, link),
          type,
          typeScore,
          typeScores: result.scores,
          knowledge,
          link,
          ...(owner.record.namedBrand === undefined ? {} : { namedBrand: owner.record.namedBrand }),
          grounding: owner.regions.length === 0
            ? null
            : ground({ entityText: candidate.text, type, knowledge, image: owner.work.image, regions: owner.regions, objScores: result.objScores, similarity: owner.similarity })
        }
        owner.work.entities.push(entity)
      }
      return batch
    },
    async close () {}
  })
}
