// A mention written with an ending after an apostrophe (`Patagonia's`,
// `İstanbul'da`, `Galatasaray'ın`) is indexed as the name itself, so a search
// or a dashboard for `Patagonia` or `İstanbul` finds it; the knowledge cache
// already looks the stem up (src/contracts/entity-names.ts). A name that
// itself ends so (`McDonald's`, by the title it links to) keeps its ending.
import { nameWithoutSuffix, type Candidate, type EntityLink } from '../contracts/index.js'

export function withoutNameSuffix (candidate: Candidate, link: EntityLink | null): Candidate {
  if ((candidate.kind ?? 'text') !== 'text') return candidate
  const stem = nameWithoutSuffix(candidate.text)
  if (stem === null || stem.trim().length === 0) return candidate
  if (link !== null && nameWithoutSuffix(link.title) !== null) return candidate
  return { ...candidate, text: stem, end: candidate.start + stem.length }
}
