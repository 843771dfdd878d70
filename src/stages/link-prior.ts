// What the knowledge cache knows about a mention, as evidence stage 2 weighs.
//
// Stage 2's prompt model reads a knowledge sentence, but it does not see
// which typed sources answered: that `Zara` is a catalogue brand, that
// `München` is a GeoNames city, that `Dove` also reads as a common noun. The
// link prior is a small multinomial logistic layer over stage 2's five
// probabilities and these evidence features:
//
//   logit_k = scale * log p_k + bias_k + sum_j weights[k][j] * evidence_j
//
// trained on the Twitter-GMNER training split's candidates
// (training/gmner/link_prior.py) and shipped as
// models/stage2/link-prior.json. With no file (or textModels.linkPrior off)
// the probabilities pass through unchanged, and so they do for a mention the
// cache knows nothing about (hasLinkEvidence). The features are computed here
// only; `groundstream eval --dump-candidates` writes them for the fit.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { STAGE2_LABELS, type Candidate, type LinkOption } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'

/** Words of a description that say the entry is an organisation people follow as a brand. */
const BRAND_WORDS = /\b(?:compan(?:y|ies)|brand|manufacturer|maker|retailer|retail|chain|store|shop|supermarket|restaurant|airline|carrier|bank|club|team|label|house|network|operator|corporation|group|franchise|platform|service|startup)\b/iu

/** The evidence features, in the order of a prior's weight columns. */
export const LINK_EVIDENCE_FEATURES = Object.freeze([
  'catalogue:PER', 'catalogue:LOC', 'catalogue:ORG', 'catalogue:OTHER',
  'catalogue:handle',
  'catalogue:brand-words',
  'place', 'place:large',
  'wikipedia:PER', 'wikipedia:LOC', 'wikipedia:ORG', 'wikipedia:OTHER',
  'wordnet:named',
  'common-noun',
  'ambiguous',
  'capitalised',
  'catalogue:ORG&capitalised',
  'place&capitalised',
  // Stage 1's span probability (0..1, not 0/1): the multilingual tagger's word that this is a name,
  // which the English prompt model does not see.
  'stage1:span-score'
] as const)

export type LinkEvidenceFeature = typeof LINK_EVIDENCE_FEATURES[number]

/** A place this populous is one readers know by name (a capital, a big city). */
const LARGE_PLACE = 500_000

/** Features of the mention itself, not of what the cache linked it to: alone they are no evidence. */
const MENTION_FEATURES: ReadonlySet<LinkEvidenceFeature> = new Set(['capitalised', 'stage1:span-score'])

const FEATURE_INDEX: ReadonlyMap<string, number> = new Map(LINK_EVIDENCE_FEATURES.map((name, i) => [name, i]))

/** The evidence vector of one candidate from the options the knowledge stage gathered for it. */
export function linkEvidence (candidate: Candidate, options: readonly LinkOption[]): number[] {
  const on = new Set<LinkEvidenceFeature>()
  const named = options.filter((option) => option.match !== 'context')
  for (const option of named) {
    if (option.source === 'catalogue' && option.type !== null) {
      on.add(`catalogue:${option.type}`)
      if (option.match === 'handle') on.add('catalogue:handle')
      if (BRAND_WORDS.test(option.description)) on.add('catalogue:brand-words')
    } else if ((option.source === 'cities' || option.source === 'countries') && option.type === 'LOC') {
      on.add('place')
      if (option.source === 'countries' || (option.population ?? 0) >= LARGE_PLACE) on.add('place:large')
    } else if (option.source === 'wikipedia' && option.type !== null) {
      on.add(`wikipedia:${option.type}`)
    } else if (option.source === 'wordnet') {
      on.add(option.type === null ? 'common-noun' : 'wordnet:named')
    }
  }
  if (options.some((option) => option.match === 'context')) on.add('common-noun')
  if (new Set(named.map((option) => option.type)).size > 1) on.add('ambiguous')
  if (/\p{Lu}/u.test(candidate.text)) on.add('capitalised')
  if (on.has('capitalised') && on.has('catalogue:ORG')) on.add('catalogue:ORG&capitalised')
  if (on.has('capitalised') && on.has('place')) on.add('place&capitalised')
  const vector = new Array<number>(LINK_EVIDENCE_FEATURES.length).fill(0)
  for (const name of on) vector[FEATURE_INDEX.get(name) as number] = 1
  vector[FEATURE_INDEX.get('stage1:span-score') as number] = Math.min(1, Math.max(0, candidate.score))
  return vector
}

/**
 * Whether the knowledge cache said anything about the mention (a typed
 * option, a common-noun reading). Only then does the prior apply; a mention
 * nothing knows keeps the prompt model's probabilities. The fit uses the same
 * candidates (the dump's `linked`).
 */
export function hasLinkEvidence (evidence: readonly number[]): boolean {
  return LINK_EVIDENCE_FEATURES.some((name, i) => !MENTION_FEATURES.has(name) && (evidence[i] ?? 0) !== 0)
}

const LABELS = STAGE2_LABELS as readonly string[]

export const LinkPriorSchema = z.object({
  /** The features the weights were fitted on, in column order; must equal LINK_EVIDENCE_FEATURES. */
  features: z.array(z.string()),
  labels: z.array(z.string()),
  scale: z.number().positive(),
  bias: z.array(z.number()),
  /** One row per label, one column per feature. */
  weights: z.array(z.array(z.number())),
  /** How it was fitted (data, regularisation, loss before and after); informational. */
  training: z.record(z.string(), z.unknown()).optional()
}).strict()

export type LinkPrior = z.infer<typeof LinkPriorSchema>

function assertShape (prior: LinkPrior, file: string): void {
  const problem = (message: string): GroundstreamError =>
    new GroundstreamError('GS_ERR_MODEL_INVALID', `link prior ${file}: ${message}; refit it with training/gmner/link_prior.py`, { details: { path: file } })
  if (prior.labels.join(',') !== LABELS.join(',')) throw problem(`labels ${prior.labels.join(',')} are not stage 2's ${LABELS.join(',')}`)
  if (prior.features.join(',') !== LINK_EVIDENCE_FEATURES.join(',')) throw problem('its features are not the ones src/stages/link-prior.ts computes')
  if (prior.bias.length !== LABELS.length) throw problem(`bias has ${prior.bias.length} values, not ${LABELS.length}`)
  if (prior.weights.length !== LABELS.length || prior.weights.some((row) => row.length !== LINK_EVIDENCE_FEATURES.length)) {
    throw problem(`weights must be ${LABELS.length} rows of ${LINK_EVIDENCE_FEATURES.length}`)
  }
}

/** Reads and checks a prior; null when the file does not exist (the models ship without one). */
export async function loadLinkPrior (file: string): Promise<LinkPrior | null> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `link prior ${file} cannot be read`, { cause: error, details: { path: file } })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `link prior ${file} is not JSON`, { cause: error, details: { path: file } })
  }
  const result = LinkPriorSchema.safeParse(value)
  if (!result.success) throw new GroundstreamError('GS_ERR_MODEL_INVALID', `link prior ${file} is invalid: ${result.error.message}`, { details: { path: file } })
  assertShape(result.data, file)
  return result.data
}

/** Smallest probability read as a logit, so a hard 0 does not become -Infinity. */
const FLOOR = 1e-9

/** Stage 2's probabilities re-weighed by the evidence (a softmax over the five labels again); as they are without link evidence. */
export function applyLinkPrior (prior: LinkPrior, scores: readonly number[], evidence: readonly number[]): number[] {
  if (!hasLinkEvidence(evidence)) return [...scores]
  const logits = LABELS.map((_, k) => {
    const row = prior.weights[k] as number[]
    let value = prior.scale * Math.log(Math.max(scores[k] ?? 0, FLOOR)) + (prior.bias[k] as number)
    for (let j = 0; j < evidence.length; j++) value += (row[j] as number) * (evidence[j] as number)
    return value
  })
  const top = Math.max(...logits)
  const exps = logits.map((logit) => Math.exp(logit - top))
  const total = exps.reduce((sum, value) => sum + value, 0)
  return exps.map((value) => value / total)
}
