// The entity names of the service, in one place, because three different
// jobs need three different strengths of normalisation and mixing them up
// silently splits or merges entities:
//
// - entityIndexKey: the `entity.normalised` field of every indexed mention;
//   the API's `entity` filter, trending and co-occurrence group by it. Light:
//   NFKC, no leading #/@, spaces collapsed, lower case (`#BellaHadid` ->
//   `bellahadid`, `Bella Hadid` -> `bella hadid`). Changing it changes what
//   existing indexed documents group with, so it only changes with a reindex.
// - normaliseEntity / normaliseEntityKey: the knowledge lookup key. Strong:
//   every way a post can write one entity (`#BellaHadid`, `@bella_hadid`,
//   `Bella Hadid's`, `ＢＥＬＬＡ hadid`) lands on one key (`bella hadid`), or the
//   cache fragments and every form pays a source fetch. Never stored in the
//   index.
// - squashEntityName: letters and digits only (`Open 24 Hours` ->
//   `open24hours`): matching a tag body or OCR text to a name when spaces are
//   missing.
// docs/users.md explains the first to users; docs/knowledge-cache.md the second.

/** The `entity.normalised` value of a mention: what the index, the `entity` filter and trending group by. */
export function entityIndexKey (text: string): string {
  return text.normalize('NFKC').trim().replace(/^[#@]+/u, '').replace(/\s+/gu, ' ').trim().toLowerCase()
}

/** Letters and digits only, accents dropped, lower case: for matching names written without spaces. */
export function squashEntityName (text: string): string {
  return text.normalize('NFKD').replace(/[^\p{L}\p{N}]/gu, '').toLowerCase()
}

export interface NormalisedEntity {
  /** Case-folded, accent-free, whitespace-collapsed: the cache key. */
  key: string
  /** The same cleaning with case kept (`Bella Hadid`): what title-sensitive sources are asked for. */
  display: string
}

const LATIN_COMBINING_MARKS = /[\u0300-\u036f]/g
const WHITESPACE_RUN = /[\s\u200b-\u200d\u2060\ufeff]+/gu
/** Quotes, brackets and clause punctuation that wrap a mention but are not part of it. */
const EDGE_PUNCTUATION = /^[\s"'`‘’“”«»()[\]{}<>,;:!?¡¿…*|~^]+|[\s"'`‘’“”«»()[\]{}<>,;:!?¡¿…*|~^]+$/gu
const POSSESSIVE = /(?:['’]s|(?<=s)['’])$/iu
/**
 * An ending written after an apostrophe on a name: the English possessive
 * (`Patagonia's`, `Adidas'`) and Turkish case and possessive suffixes, which
 * Turkish writes after an apostrophe on every proper noun (`İstanbul'da`,
 * `Galatasaray'ın`, `Erdoğan'a`, `THY'nin`).
 */
const NAME_SUFFIX = /(?<=\p{L}|\p{N})['’](?:s|(?:n|y)?(?:[ıiuü]n|[ıiuüae])|[dt][ae]n?|n[dt][ae]n?|[dt][ae]ki|y?l[ae]|l[ıiuü]|[cç][ae]|[dt][ıiuü]r|l[ae]r(?:[ıi]n)?|n[ıiuü]n)?$/iu
/** lower→Upper (`bellaHadid`) and acronym→Word (`RAWNews`) boundaries. */
const CAMEL_BOUNDARY = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/gu

/**
 * Splits a hashtag or handle body into words: `BellaHadid` -> `Bella Hadid`,
 * `elon_musk` -> `elon musk`. Applied only to `#`/`@` forms, because inside
 * ordinary text a mixed-case word (`McDonald`, `iPhone`) is one name.
 */
function splitTagBody (body: string): string {
  return body.replace(/[_]+/g, ' ').replace(CAMEL_BOUNDARY, ' ')
}

function stripTrailingDot (text: string): string {
  // `U.S.` keeps its dots; `Paris.` at the end of a sentence loses its one.
  if (text.endsWith('.') && text.indexOf('.') === text.length - 1) return text.slice(0, -1)
  return text
}

/**
 * Word-tokenised text (`Kim Jong - un`, `Victoria ' s Secret`, `AT &amp ; T`,
 * as in CoNLL files) back to how it is written in a post, so the training dump
 * and serving produce the same keys.
 */
function rejoinTokenised (text: string): string {
  return text
    .replace(/&amp\s*;?/giu, '&').replace(/&quot\s*;?/giu, '"').replace(/&lt\s*;?/giu, '<').replace(/&gt\s*;?/giu, '>')
    .replace(/\s+(?=['’.,!?:;)])/gu, '')
    // `AT & T` -> `AT&T`, `H & M` -> `H&M`; `Tom & Jerry` keeps its spaces.
    .replace(/(?<=(?:^|\s)\p{L}{1,2})\s*&\s*(?=\p{L}{1,2}(?:\s|$))/gu, '&')
    .replace(/(?<=[\p{L}\p{N}])\s*[-‐]\s*(?=[\p{L}\p{N}])/gu, '-')
    .replace(/(['’])\s+(?=(?:s|t|re|ll|ve|d|m)\b)/giu, '$1')
    .replace(/(?<=(?:^|\s)\p{L})(['’])\s+(?=\p{L})/gu, '$1')
}

function foldCase (display: string): string {
  return display
    .normalize('NFD').replace(LATIN_COMBINING_MARKS, '').normalize('NFC')
    .toLowerCase()
    // Full case folding for the letters where lower-casing is not enough.
    .replace(/ß/g, 'ss').replace(/ς/g, 'σ')
    .replace(/[’‘`]/g, "'")
    .normalize('NFKC')
}

/** Cleans a surface form without folding case; `key` is `display` case-folded. */
export function normaliseEntity (surface: string): NormalisedEntity {
  let text = rejoinTokenised(surface.normalize('NFKC').replace(WHITESPACE_RUN, ' ').replace(/_+/g, ' ').trim())
  text = text.replace(EDGE_PUNCTUATION, '')
  // Tweets tokenised upstream may carry the sigil as its own word ("# BellaHadid").
  const words = text.split(' ')
  let tagNext = false
  const cleaned: string[] = []
  for (const word of words) {
    if (/^[#@＃＠]$/u.test(word)) {
      tagNext = true
      continue
    }
    const tag = /^[#@＃＠]+(.+)$/u.exec(word)
    if (tag !== null) cleaned.push(splitTagBody(tag[1] ?? ''))
    else cleaned.push(tagNext ? splitTagBody(word) : word)
    tagNext = false
  }
  text = cleaned.join(' ')
  text = text.replace(POSSESSIVE, '')
  text = stripTrailingDot(text.replace(EDGE_PUNCTUATION, ''))
  const display = text.replace(WHITESPACE_RUN, ' ').trim()
  return { key: foldCase(display), display }
}

/**
 * The name without an ending written after an apostrophe (NAME_SUFFIX):
 * `İstanbul'da` -> `İstanbul`, `Patagonia's` -> `Patagonia`; null when the
 * surface has none. `McDonald's` also reads `McDonald`: whoever uses the
 * stem decides whether the whole form is itself a name.
 */
export function nameWithoutSuffix (surface: string): string | null {
  const match = NAME_SUFFIX.exec(surface)
  if (match === null || match.index === 0) return null
  return surface.slice(0, match.index)
}

/**
 * Fallback readings asked only when the form itself finds nothing: a run-on
 * handle written without its `#`/`@` (`CondiRice`, `NBAFinals`) split at case
 * changes, and a leading article dropped (`The Beatles`). Kept out of the key
 * because splitting every mixed-case word would break `McDonald` or `iPhone`.
 */
export function entityVariants (entity: NormalisedEntity): NormalisedEntity[] {
  const variants: NormalisedEntity[] = []
  const seen = new Set([entity.key])
  const add = (display: string): void => {
    const cleaned = display.replace(WHITESPACE_RUN, ' ').trim()
    const key = foldCase(cleaned)
    if (key.length > 0 && !seen.has(key)) {
      seen.add(key)
      variants.push({ key, display: cleaned })
    }
  }
  const split = entity.display.replace(CAMEL_BOUNDARY, ' ')
  add(split)
  const stem = nameWithoutSuffix(entity.display)
  if (stem !== null) add(stem)
  add(entity.display.replace(/^the\s+/iu, ''))
  add(split.replace(/^the\s+/iu, ''))
  return variants
}

/** The cache key of a surface form: `#BellaHadid` -> `bella hadid`, `Trump's` -> `trump`. */
export function normaliseEntityKey (surface: string): string {
  return normaliseEntity(surface).key
}
