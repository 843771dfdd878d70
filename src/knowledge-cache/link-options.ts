// Link options that do not come from a typed index: an answer from a source
// without one (Wikipedia summaries), typed from what its description says.
import type { EntityType, Knowledge, LinkOption } from '../contracts/index.js'
import { firstSentence } from './sources/describe.js'

const TYPE_WORDS: ReadonlyArray<[EntityType, RegExp]> = [
  ['PER', /\b(?:born|singer|rapper|actor|actress|footballer|player|politician|president|musician|songwriter|writer|businessman|businesswoman|entrepreneur|model|presenter|journalist|athlete|driver)\b/iu],
  ['ORG', /\b(?:company|corporation|brand|club|team|airline|retailer|manufacturer|carmaker|organi[sz]ation|agency|network|broadcaster|newspaper|league|chain|party|band|operator|conglomerate|franchise)\b/iu],
  ['LOC', /\b(?:city|town|country|capital|village|state|province|region|river|island|district|county|municipality|mountain)\b/iu]
]

/** The type a one-line description names, when exactly one type's words appear in it. */
export function typeFromDescription (description: string): EntityType | null {
  const types = TYPE_WORDS.filter(([, words]) => words.test(description)).map(([type]) => type)
  return types.length === 1 ? types[0] as EntityType : null
}

/** A Wikipedia (or other untyped-index) answer as a link option; null when typed sources already covered it or it has no id. */
export function linkOptionFromKnowledge (knowledge: Knowledge | null, typedSourceNames: readonly string[]): LinkOption | null {
  if (knowledge === null || knowledge.canonicalId === null || typedSourceNames.includes(knowledge.source)) return null
  const description = firstSentence(knowledge.text)
  return {
    id: knowledge.canonicalId,
    title: knowledge.title ?? knowledge.key,
    description,
    type: typeFromDescription(description),
    source: knowledge.source,
    match: 'name'
  }
}
