// The brand-tracking labelled set (test/fixtures/brand-set.txt) and its
// scores: per mention kind (text, handle, hashtag), mention precision and
// recall, type accuracy, link precision (non-null canonical ids that are
// right) and link coverage (gold ids found). Format: one post a line, each
// mention written in place as [surface|TYPE|ids], ids `-` for "no shipped
// source knows it" or several ids separated by commas that name the same
// thing; lines starting with // are comments.
import { ENTITY_TYPES, MENTION_KINDS, type EntityType, type MentionKind } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { score, type Score } from './metrics.js'

export interface BrandGoldMention {
  start: number
  end: number
  text: string
  kind: MentionKind
  type: EntityType
  /** Accepted canonical ids, preferred first; empty means the right answer is null. */
  ids: string[]
}

export interface BrandPost {
  id: string
  text: string
  mentions: BrandGoldMention[]
}

export interface PredictedMention {
  start: number
  end: number
  kind: MentionKind
  type: EntityType
  canonicalId: string | null
}

export interface Ratio {
  correct: number
  total: number
  value: number
}

export interface KindScores {
  mentions: Score
  typeAccuracy: Ratio
  linkPrecision: Ratio
  linkCoverage: Ratio
}

export type BrandSetScores = Record<MentionKind | 'all', KindScores>

/** How a surface is written: `@...` handle, `#...` hashtag, else text. */
export function kindOfSurface (surface: string): MentionKind {
  if (surface.startsWith('@')) return 'handle'
  if (surface.startsWith('#')) return 'hashtag'
  return 'text'
}

const MENTION = /\[([^\]|]+)\|([A-Z]+)\|([^\]]+)\]/gu

export function parseBrandSet (content: string, source = 'brand set'): BrandPost[] {
  const posts: BrandPost[] = []
  content.split(/\r?\n/u).forEach((line, index) => {
    if (line.trim().length === 0 || line.startsWith('//')) return
    const where = `${source}:${index + 1}`
    const mentions: BrandGoldMention[] = []
    let text = ''
    let last = 0
    for (const match of line.matchAll(MENTION)) {
      const [whole, surface = '', type = '', ids = ''] = match
      if (!(ENTITY_TYPES as readonly string[]).includes(type)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: unknown type ${type}`)
      text += line.slice(last, match.index)
      const start = text.length
      text += surface
      mentions.push({ start, end: text.length, text: surface, kind: kindOfSurface(surface), type: type as EntityType, ids: ids === '-' ? [] : ids.split(',').map((id) => id.trim()) })
      last = match.index + whole.length
    }
    text += line.slice(last)
    if (/[[\]]/u.test(text)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: unbalanced or malformed mention brackets`)
    posts.push({ id: `brand-${String(posts.length + 1).padStart(3, '0')}`, text, mentions })
  })
  return posts
}

function ratio (correct: number, total: number): Ratio {
  return { correct, total, value: total === 0 ? 0 : correct / total }
}

/** Scores predictions (by post id) against the set; predictions of other posts are ignored. */
export function scoreBrandSet (posts: readonly BrandPost[], predictions: ReadonlyMap<string, readonly PredictedMention[]>): BrandSetScores {
  const kinds = [...MENTION_KINDS, 'all'] as const
  const counts = Object.fromEntries(kinds.map((kind) => [kind, { tp: 0, predicted: 0, gold: 0, typeRight: 0, linked: 0, linkRight: 0, goldIds: 0, found: 0 }])) as Record<typeof kinds[number], { tp: number, predicted: number, gold: number, typeRight: number, linked: number, linkRight: number, goldIds: number, found: number }>
  for (const post of posts) {
    const predicted = predictions.get(post.id) ?? []
    const gold = new Map(post.mentions.map((mention) => [`${mention.start}:${mention.end}`, mention]))
    for (const mention of post.mentions) {
      for (const kind of [mention.kind, 'all'] as const) {
        counts[kind].gold++
        if (mention.ids.length > 0) counts[kind].goldIds++
      }
    }
    for (const prediction of predicted) {
      const match = gold.get(`${prediction.start}:${prediction.end}`)
      for (const kind of [prediction.kind, 'all'] as const) {
        const count = counts[kind]
        count.predicted++
        if (prediction.canonicalId !== null) count.linked++
        if (match === undefined) continue
        count.tp++
        if (match.type === prediction.type) count.typeRight++
        if (prediction.canonicalId !== null && match.ids.includes(prediction.canonicalId)) {
          count.linkRight++
          count.found++
        }
      }
    }
  }
  return Object.fromEntries(kinds.map((kind) => {
    const count = counts[kind]
    return [kind, {
      mentions: score(count.tp, count.predicted, count.gold),
      typeAccuracy: ratio(count.typeRight, count.tp),
      linkPrecision: ratio(count.linkRight, count.linked),
      linkCoverage: ratio(count.found, count.goldIds)
    }]
  })) as BrandSetScores
}

function percent (value: number): string {
  return (value * 100).toFixed(1).padStart(6)
}

/** The scores as a plain-text table, one row per kind. */
export function formatBrandScores (scores: BrandSetScores): string {
  const header = `${'kind'.padEnd(8)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'F1'.padStart(6)}  ${'type acc'.padStart(8)}  ${'link P'.padStart(6)} ${'(n)'.padStart(5)}  ${'link cov'.padStart(8)} ${'(n)'.padStart(5)}   tp/pred/gold`
  const rows = ([...MENTION_KINDS, 'all'] as const).map((kind) => {
    const s = scores[kind]
    return `${kind.padEnd(8)} ${percent(s.mentions.precision)} ${percent(s.mentions.recall)} ${percent(s.mentions.f1)}  ${percent(s.typeAccuracy.value).padStart(8)}  ${percent(s.linkPrecision.value)} ${String(s.linkPrecision.total).padStart(5)}  ${percent(s.linkCoverage.value).padStart(8)} ${String(s.linkCoverage.total).padStart(5)}   ${s.mentions.tp}/${s.mentions.predicted}/${s.mentions.gold}`
  })
  return [header, ...rows].join('\n')
}
