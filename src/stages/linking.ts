// Linking you can trust: a mention gets a canonical id only when a typed
// source agrees with the type stage 2 predicted, and an id whose name also
// reads another way (`Apple` the fruit, `Nike` the goddess, `Paris` the
// prince) needs a confident, capitalised mention. Typed sources win in a
// fixed order; WordNet comes last and never gives a person or organisation
// an id (its proper-noun senses are historical figures and myths, not the
// rapper or the brand a post is about). A wrong id is worse than none: it
// merges unrelated mentions on a dashboard.
import { STAGE2_LABELS, type Candidate, type EntityLink, type EntityType, type LinkOption } from '../contracts/index.js'
import type { TypeResult } from './text-engine.js'

/** Typed sources first: the catalogue (user's, then shipped), ISO countries, GeoNames cities, Wikipedia, then WordNet. */
const SOURCE_RANK: Readonly<Record<string, number>> = Object.freeze({ catalogue: 0, countries: 1, cities: 2, wikipedia: 3, wordnet: 4 })
const UNRANKED = 5

export interface LinkDecisionOptions {
  /** Stage-2 score an ambiguous name needs before it is linked. */
  ambiguousMinScore: number
}

function rank (option: LinkOption): number {
  return SOURCE_RANK[option.source] ?? UNRANKED
}

/** Whether the mention is written as a name: some capital letter (`Apple`, `#AppleEvent`, `BBC`), not `apple`. */
function writtenAsName (candidate: Candidate): boolean {
  return /\p{Lu}/u.test(candidate.text)
}

/** Another option reads the same mention as something of another type (or as a common noun). */
function isAmbiguous (option: LinkOption, options: readonly LinkOption[]): boolean {
  return options.some((other) => other.id !== option.id && other.type !== option.type && other.match !== 'context')
}

export function chooseLink (options: readonly LinkOption[], candidate: Candidate, type: EntityType, typeScore: number, decision: LinkDecisionOptions): EntityLink | null {
  const commonNounHere = options.some((option) => option.match === 'context')
  const agreeing = options
    .filter((option) => option.type === type && !(option.source === 'wordnet' && (type === 'PER' || type === 'ORG')))
    .sort((a, b) => rank(a) - rank(b))
  for (const option of agreeing) {
    // An official account is the entity itself, whatever else its name means;
    // so is a name of the user's own catalogue once its type holds (decideTrackedType).
    if (option.match !== 'handle' && option.tracked !== true && isAmbiguous(option, options)) {
      if (typeScore < decision.ambiguousMinScore || !writtenAsName(candidate) || commonNounHere) continue
    }
    return { id: option.id, title: option.title, description: option.description, source: option.source, ...(option.brand === undefined ? {} : { brand: option.brand }) }
  }
  return null
}

const NONE_INDEX = STAGE2_LABELS.indexOf('NONE')

/** Stage 2 overruled a name of the user's catalogue: what the entry said and what was decided instead (`to` null: no entity). */
export interface TrackedOverride {
  postId: string
  text: string
  entryId: string
  entryType: EntityType
  to: EntityType | null
  /** Stage 2's probability of `to` (of NONE when `to` is null). */
  score: number
}

/** The user's own catalogue entry a text mention is written as, when the entry has a type. */
export function trackedOption (options: readonly LinkOption[]): LinkOption | undefined {
  return options.find((option) => option.tracked === true && option.match === 'name' && option.type !== null)
}

/**
 * The type of a text mention that is a name of the user's own catalogue: the
 * entry's type, scored 1 - P(NONE) (how sure stage 2 is that it names an
 * entity), unless stage 2 is sure otherwise: another type or NONE at least
 * `overrideScore` (then that type, or nothing: `apple pie` is not Apple).
 */
export function decideTrackedType (scores: readonly number[], option: LinkOption, overrideScore: number): TypeDecision | null {
  const entry = STAGE2_LABELS.indexOf(option.type as EntityType)
  let other = -1
  for (let i = 0; i < STAGE2_LABELS.length; i++) {
    if (i !== entry && (other === -1 || (scores[i] ?? 0) > (scores[other] ?? 0))) other = i
  }
  if (other !== -1 && (scores[other] ?? 0) >= overrideScore) {
    if (other === NONE_INDEX) return null
    return { type: STAGE2_LABELS[other] as EntityType, score: scores[other] ?? 0 }
  }
  return { type: option.type as EntityType, score: 1 - (scores[NONE_INDEX] ?? 0) }
}

/**
 * Tags that name no entity, before the model is asked: an all-lower-case
 * hashtag that no typed source knows as a name (`#autumn`, `#nofilter`,
 * `#photooftheday`; `#paris` stays, GeoNames knows it), and a handle ending
 * in digits that no catalogue entry claims (`@user123`, `@jess_m92`: private
 * accounts, not tracked entities).
 */
function isGenericTag (candidate: Candidate, options: readonly LinkOption[]): boolean {
  const body = candidate.text.slice(1)
  if (candidate.kind === 'handle') return /\p{N}$/u.test(body)
  if (/\p{Lu}/u.test(body)) return false
  return !options.some((option) => option.type !== null && option.match !== 'context')
}

export interface TypeDecision {
  type: EntityType
  score: number
}

/**
 * The type of a hashtag or handle. When the catalogue resolves it (an
 * official handle, or a brand name written as a tag), the catalogue's type
 * is taken and the score is stage 2's probability that the tag names an
 * entity at all (1 - P(NONE)); an official handle is kept whatever that
 * score, since the account is the entity. Otherwise stage 2 types the
 * segmented surface like any candidate, under `minTagScore`.
 */
export function decideTagType (result: TypeResult, options: readonly LinkOption[], candidate: Candidate, minTagScore: number): TypeDecision | null {
  const resolved = options.find((option) => option.source === 'catalogue' && option.match !== 'name' && option.match !== 'context' && option.type !== null)
  if (resolved !== undefined && resolved.type !== null) {
    const score = 1 - (result.scores[NONE_INDEX] ?? 0)
    if (resolved.match === 'handle' || score >= minTagScore) return { type: resolved.type, score }
    return null
  }
  if (isGenericTag(candidate, options)) return null
  if (result.label === 'NONE') return null
  const score = result.scores[STAGE2_LABELS.indexOf(result.label)] ?? 0
  return score >= minTagScore ? { type: result.label, score } : null
}
