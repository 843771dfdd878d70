// Reader for data sets in the Twitter-GMNER layout: `<split>.txt` in CoNLL
// form (IMGID line, token<TAB>BIO-tag lines, blank line between tweets) and
// optional `xml/<IMGID>.xml` Pascal-VOC boxes named by entity surface text.
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { ENTITY_TYPES, type EntityType } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import type { GoldEntity, PixelBox } from './metrics.js'

export interface DatasetTweet {
  imageId: string
  words: string[]
  tags: string[]
  /** The words joined by single spaces; entity offsets point into it. */
  text: string
  wordStarts: number[]
  entities: Array<GoldEntity & { text: string, wordStart: number, wordEnd: number }>
  imageSize: { width: number, height: number } | null
}

export interface ParsedConll {
  imageId: string
  words: string[]
  tags: string[]
}

/** Parses the CoNLL text; throws a coded error naming the line on malformed input. */
export function parseConll (content: string, source = 'input'): ParsedConll[] {
  const tweets: ParsedConll[] = []
  let current: ParsedConll | null = null
  content.split(/\r?\n/).forEach((line, index) => {
    if (line.startsWith('IMGID:')) {
      if (current !== null && current.words.length > 0) tweets.push(current)
      current = { imageId: line.slice('IMGID:'.length).trim(), words: [], tags: [] }
      return
    }
    if (line.trim() === '') {
      if (current !== null && current.words.length > 0) tweets.push(current)
      current = null
      return
    }
    const parts = line.split('\t')
    if (current === null || parts.length !== 2 || parts[0] === '') {
      throw new GroundstreamError('GS_ERR_DATASET', `${source}:${index + 1}: expected 'token<TAB>tag' inside a tweet, got ${JSON.stringify(line.slice(0, 80))}`)
    }
    current.words.push(parts[0] as string)
    current.tags.push((parts[1] as string).trim())
  })
  if (current !== null && (current as ParsedConll).words.length > 0) tweets.push(current)
  return tweets
}

function isEntityType (value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value)
}

/** BIO tags to word spans; an orphan `I-X` (no open span of type X) starts a span. */
export function bioToSpans (tags: readonly string[]): Array<{ wordStart: number, wordEnd: number, type: EntityType }> {
  const spans: Array<{ wordStart: number, wordEnd: number, type: EntityType }> = []
  let open: { wordStart: number, type: EntityType } | null = null
  const close = (end: number): void => {
    if (open !== null) spans.push({ wordStart: open.wordStart, wordEnd: end, type: open.type })
    open = null
  }
  tags.forEach((tag, i) => {
    const [prefix, type = ''] = tag.split('-', 2) as [string, string | undefined]
    if (prefix === 'O' || !isEntityType(type)) {
      close(i)
      return
    }
    if (prefix === 'B' || open === null || open.type !== type) {
      close(i)
      open = { wordStart: i, type }
    }
  })
  close(tags.length)
  return spans
}

export interface VocAnnotation {
  width: number
  height: number
  objects: Array<{ name: string, box: PixelBox }>
}

const xmlParser = new XMLParser({ isArray: (name) => name === 'object', parseTagValue: false })

export function parseVocXml (content: string, source = 'xml'): VocAnnotation {
  const parsed = xmlParser.parse(content) as { annotation?: { size?: Record<string, string>, object?: Array<{ name?: unknown, bndbox?: Record<string, string> }> } }
  const annotation = parsed.annotation
  if (annotation?.size === undefined) throw new GroundstreamError('GS_ERR_DATASET', `${source}: no <annotation><size>`)
  const number = (value: unknown, what: string): number => {
    const result = Number(value)
    if (!Number.isFinite(result)) throw new GroundstreamError('GS_ERR_DATASET', `${source}: ${what} is not a number`)
    return result
  }
  return {
    width: number(annotation.size.width, 'width'),
    height: number(annotation.size.height, 'height'),
    objects: (annotation.object ?? []).map((object) => ({
      name: String(object.name ?? ''),
      box: {
        xmin: number(object.bndbox?.xmin, 'xmin'),
        ymin: number(object.bndbox?.ymin, 'ymin'),
        xmax: number(object.bndbox?.xmax, 'xmax'),
        ymax: number(object.bndbox?.ymax, 'ymax')
      }
    }))
  }
}

export async function readSplit (dataDir: string, split: string): Promise<DatasetTweet[]> {
  const file = path.join(dataDir, `${split}.txt`)
  let content: string
  try {
    content = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_DATASET', `cannot read split '${split}': ${file} not found`, { cause: error, details: { path: file } })
  }
  const xmlDir = path.join(dataDir, 'xml')
  const xmlFiles = new Set(await readdir(xmlDir).catch(() => [] as string[]))
  const tweets: DatasetTweet[] = []
  for (const parsed of parseConll(content, file)) {
    const wordStarts: number[] = []
    let offset = 0
    for (const word of parsed.words) {
      wordStarts.push(offset)
      offset += word.length + 1
    }
    const text = parsed.words.join(' ')
    const xmlName = `${parsed.imageId}.xml`
    const voc = xmlFiles.has(xmlName) ? parseVocXml(await readFile(path.join(xmlDir, xmlName), 'utf8'), xmlName) : null
    const entities = bioToSpans(parsed.tags).map((span) => {
      const start = wordStarts[span.wordStart] as number
      const end = (wordStarts[span.wordEnd - 1] as number) + (parsed.words[span.wordEnd - 1] as string).length
      const surface = text.slice(start, end)
      const boxes = (voc?.objects ?? []).filter((object) => object.name.trim() === surface).map((object) => object.box)
      return { start, end, type: span.type, boxes, text: surface, wordStart: span.wordStart, wordEnd: span.wordEnd }
    })
    tweets.push({
      imageId: parsed.imageId,
      words: parsed.words,
      tags: parsed.tags,
      text,
      wordStarts,
      entities,
      imageSize: voc === null ? null : { width: voc.width, height: voc.height }
    })
  }
  return tweets
}
