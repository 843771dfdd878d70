// The brand-tracking labelled sets (test/fixtures/brand-set.txt,
// brand-kinds.txt, multilingual-set.txt) and their scores: per surface kind
// (text, handle, hashtag), mention precision and recall, type accuracy, link
// precision (non-null canonical ids that are right) and link coverage (gold
// ids found); per mention kind and per language (scoreBreakdown), found,
// typed right, brand attributed and false positives.
//
// Format: one post a line, each mention written in place as
// [surface|TYPE|ids] or [surface|TYPE|ids|kind|brand]. ids is `-` for "no
// shipped source knows it", `*` for "links not scored for this mention", or
// several ids separated by commas that name the same thing. kind is one of
// GOLD_KINDS (`-` or absent: none); brand is the name of the brand the
// mention belongs to (a brand's own mention names itself; `-` or absent:
// none). Lines starting with // are comments, except directives `//! lang=xx`
// (the language of the posts that follow; default en) and `//! kind=K` (the
// section the posts that follow belong to: their false positives count
// against kind K; `//! kind=-` ends it).
import { ENTITY_TYPES, MENTION_KINDS, type EntityType, type MentionKind } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { score, type Score } from './metrics.js'

/** What a gold mention is, beside how it is written (the 4th field). */
export const GOLD_KINDS = [
  'common-word', 'product', 'founder-house', 'retailer', 'club', 'airline', 'company',
  'event-tag', 'event', 'person', 'city', 'place', 'institution', 'suffixed', 'other'
] as const
export type GoldKind = typeof GOLD_KINDS[number]

export const DEFAULT_LANGUAGE = 'en'

export interface BrandGoldMention {
  start: number
  end: number
  text: string
  kind: MentionKind
  type: EntityType
  /** Accepted canonical ids, preferred first; empty means the right answer is null (or, with linksScored false, that links are not scored). */
  ids: string[]
  /** False for `*`: whatever the prediction links this mention to is not scored. */
  linksScored: boolean
  /** The 4th field; absent when the line gives none. */
  goldKind?: GoldKind
  /** The 5th field: the brand the mention belongs to, by name; absent for none. */
  brand?: string
}

export interface BrandPost {
  id: string
  text: string
  mentions: BrandGoldMention[]
  /** From the last `//! lang=` directive above the post. */
  language: string
  /** From the last `//! kind=` directive above the post: its false positives count against this kind. */
  section?: GoldKind
}

export interface PredictedMention {
  start: number
  end: number
  kind: MentionKind
  type: EntityType
  canonicalId: string | null
  /** The brand the linked entry belongs to (`link.brand`, `entity.brand`), when known. */
  brand?: string
  /** The linked entity's title (`link.title`, `entity.canonical_title`), when linked. */
  linkTitle?: string
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

const MENTION = /\[([^\]|]+)\|([A-Z]+)\|([^\]|]+)(?:\|([^\]|]*))?(?:\|([^\]|]*))?\]/gu
const DIRECTIVE = /^\/\/!\s*(lang|kind)\s*=\s*(\S+)\s*$/u
const LANGUAGE = /^[a-z]{2,3}$/u

function goldKind (raw: string | undefined, where: string): GoldKind | undefined {
  if (raw === undefined || raw === '' || raw === '-') return undefined
  if (!(GOLD_KINDS as readonly string[]).includes(raw)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: unknown mention kind ${raw} (one of ${GOLD_KINDS.join(', ')})`)
  return raw as GoldKind
}

function parseMention (match: RegExpMatchArray, start: number, where: string): BrandGoldMention {
  const [, surface = '', type = '', ids = '', kind, brand] = match
  if (!(ENTITY_TYPES as readonly string[]).includes(type)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: unknown type ${type}`)
  const mention: BrandGoldMention = {
    start,
    end: start + surface.length,
    text: surface,
    kind: kindOfSurface(surface),
    type: type as EntityType,
    ids: ids === '-' || ids === '*' ? [] : ids.split(',').map((id) => id.trim()),
    linksScored: ids !== '*'
  }
  const gold = goldKind(kind, where)
  if (gold !== undefined) mention.goldKind = gold
  const owner = brand?.trim()
  if (owner !== undefined && owner !== '' && owner !== '-') mention.brand = owner
  return mention
}

interface ParseState { language: string, section?: GoldKind }

function applyDirective (line: string, state: ParseState, where: string): void {
  const match = DIRECTIVE.exec(line)
  if (match === null) throw new GroundstreamError('GS_ERR_DATASET', `${where}: malformed directive '${line}' (//! lang=xx or //! kind=K)`)
  const [, key, value = ''] = match
  if (key === 'lang') {
    if (!LANGUAGE.test(value)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: language must be a lower-case ISO 639 code, got '${value}'`)
    state.language = value
    return
  }
  const section = goldKind(value, where)
  if (section === undefined) delete state.section
  else state.section = section
}

export function parseBrandSet (content: string, source = 'brand set'): BrandPost[] {
  const posts: BrandPost[] = []
  const state: ParseState = { language: DEFAULT_LANGUAGE }
  content.split(/\r?\n/u).forEach((line, index) => {
    const where = `${source}:${index + 1}`
    if (line.startsWith('//!')) return applyDirective(line, state, where)
    if (line.trim().length === 0 || line.startsWith('//')) return
    const mentions: BrandGoldMention[] = []
    let text = ''
    let last = 0
    for (const match of line.matchAll(MENTION)) {
      text += line.slice(last, match.index)
      const mention = parseMention(match, text.length, where)
      text += mention.text
      mentions.push(mention)
      last = match.index + match[0].length
    }
    text += line.slice(last)
    if (/[[\]]/u.test(text)) throw new GroundstreamError('GS_ERR_DATASET', `${where}: unbalanced or malformed mention brackets`)
    const post: BrandPost = { id: `brand-${String(posts.length + 1).padStart(3, '0')}`, text, mentions, language: state.language }
    if (state.section !== undefined) post.section = state.section
    posts.push(post)
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
        if (mention.linksScored && mention.ids.length > 0) counts[kind].goldIds++
      }
    }
    for (const prediction of predicted) {
      const match = gold.get(`${prediction.start}:${prediction.end}`)
      for (const kind of [prediction.kind, 'all'] as const) {
        const count = counts[kind]
        count.predicted++
        const linkScored = match?.linksScored ?? true
        if (prediction.canonicalId !== null && linkScored) count.linked++
        if (match === undefined) continue
        count.tp++
        if (match.type === prediction.type) count.typeRight++
        if (prediction.canonicalId !== null && linkScored && match.ids.includes(prediction.canonicalId)) {
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

/** One row of the per-kind or per-language table. */
export interface BreakdownRow {
  /** Gold mentions. */
  gold: number
  /** Gold mentions whose exact span was predicted (recall). */
  found: Ratio
  /** Found with the gold type, over gold mentions. */
  typedRight: Ratio
  /** Over gold mentions with a brand: found, and the prediction's brand (else its link title) names it. */
  brandAttributed: Ratio
  /** Predictions matching no gold span, in the posts of this kind's section or this language. */
  falsePositives: number
}

export interface BrandBreakdown {
  /** Rows by gold kind (GOLD_KINDS order, those present), `unlabelled` for mentions without one, and `all`. */
  byKind: Record<string, BreakdownRow>
  /** Rows by language (first seen first) and `all`. */
  byLanguage: Record<string, BreakdownRow>
}

interface RowCount { gold: number, found: number, typed: number, branded: number, brandGold: number, falsePositives: number }

/** A name compared without case, diacritics, spaces or punctuation (`McDonald's` = `mcdonalds`, `İstanbul` = `istanbul`). */
export function sameName (a: string, b: string): boolean {
  const key = (name: string): string => name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '')
  return key(a) === key(b)
}

/** The brand a prediction attributes its mention to: the linked entry's brand, else its title. */
export function predictedBrand (prediction: PredictedMention): string | undefined {
  return prediction.brand ?? prediction.linkTitle
}

function rowCount (rows: Map<string, RowCount>, name: string): RowCount {
  let row = rows.get(name)
  if (row === undefined) {
    row = { gold: 0, found: 0, typed: 0, branded: 0, brandGold: 0, falsePositives: 0 }
    rows.set(name, row)
  }
  return row
}

function countGold (row: RowCount, mention: BrandGoldMention, prediction: PredictedMention | undefined): void {
  row.gold++
  if (prediction !== undefined) row.found++
  if (prediction !== undefined && prediction.type === mention.type) row.typed++
  if (mention.brand === undefined) return
  row.brandGold++
  const brand = prediction === undefined ? undefined : predictedBrand(prediction)
  if (brand !== undefined && sameName(brand, mention.brand)) row.branded++
}

function toRows (rows: Map<string, RowCount>, order: readonly string[]): Record<string, BreakdownRow> {
  const names = [...order.filter((name) => rows.has(name)), ...[...rows.keys()].filter((name) => !order.includes(name) && name !== 'all'), 'all']
  return Object.fromEntries(names.map((name) => {
    const row = rows.get(name) ?? { gold: 0, found: 0, typed: 0, branded: 0, brandGold: 0, falsePositives: 0 }
    return [name, { gold: row.gold, found: ratio(row.found, row.gold), typedRight: ratio(row.typed, row.gold), brandAttributed: ratio(row.branded, row.brandGold), falsePositives: row.falsePositives }]
  }))
}

/** Per gold kind and per language: found, typed right, brand attributed, false positives (predictions of other posts are ignored). */
export function scoreBreakdown (posts: readonly BrandPost[], predictions: ReadonlyMap<string, readonly PredictedMention[]>): BrandBreakdown {
  const byKind = new Map<string, RowCount>()
  const byLanguage = new Map<string, RowCount>()
  for (const post of posts) {
    const predicted = new Map((predictions.get(post.id) ?? []).map((prediction) => [`${prediction.start}:${prediction.end}`, prediction]))
    const gold = new Set(post.mentions.map((mention) => `${mention.start}:${mention.end}`))
    for (const mention of post.mentions) {
      const prediction = predicted.get(`${mention.start}:${mention.end}`)
      for (const row of [rowCount(byKind, mention.goldKind ?? 'unlabelled'), rowCount(byKind, 'all'), rowCount(byLanguage, post.language), rowCount(byLanguage, 'all')]) countGold(row, mention, prediction)
    }
    const falsePositives = [...predicted.keys()].filter((span) => !gold.has(span)).length
    const rows = [rowCount(byKind, 'all'), rowCount(byLanguage, post.language), rowCount(byLanguage, 'all'), ...(post.section === undefined ? [] : [rowCount(byKind, post.section)])]
    for (const row of rows) row.falsePositives += falsePositives
  }
  return { byKind: toRows(byKind, [...GOLD_KINDS, 'unlabelled']), byLanguage: toRows(byLanguage, []) }
}

/** A breakdown table: one row per kind or language, then all. */
export function formatBreakdown (title: string, rows: Record<string, BreakdownRow>): string {
  const width = Math.max(title.length, ...Object.keys(rows).map((name) => name.length))
  const header = `${title.padEnd(width)} ${'gold'.padStart(5)} ${'found'.padStart(6)} ${'typed'.padStart(6)}  ${'brand'.padStart(6)} ${'(n)'.padStart(5)}  ${'FP'.padStart(4)}`
  const lines = Object.entries(rows).map(([name, row]) =>
    `${name.padEnd(width)} ${String(row.gold).padStart(5)} ${percent(row.found.value)} ${percent(row.typedRight.value)}  ${row.brandAttributed.total === 0 ? '     -' : percent(row.brandAttributed.value)} ${String(row.brandAttributed.total).padStart(5)}  ${String(row.falsePositives).padStart(4)}`)
  return [header, ...lines].join('\n')
}
