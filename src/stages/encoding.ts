// Builds model inputs from words, exactly as docs/model-contract.md defines
// them (the Python trainer builds the same ids; test/fixtures holds shared
// vectors that both sides check against).
import type { WordTokenizer } from './tokenizer.js'
import { SHAPE_PAD, wordShape } from './words.js'

export interface EncodedSequence {
  ids: number[]
  shapes: number[]
}

export interface Stage1Encoding extends EncodedSequence {
  /** For each input word, the position of its first sub-token, or -1 when truncated away. */
  firstSubtoken: number[]
}

/**
 * `[CLS] words… [SEP]` with whole words only: the first word that does not
 * fit in `maxLength`, and every word after it, is left out (position -1).
 */
export function encodeStage1 (words: readonly string[], tokenizer: WordTokenizer, maxLength: number): Stage1Encoding {
  const ids = [tokenizer.clsId]
  const shapes = [SHAPE_PAD]
  const firstSubtoken: number[] = []
  let full = false
  for (const word of words) {
    const pieces = tokenizer.encodeWord(word)
    if (full || ids.length + pieces.length > maxLength - 1) {
      full = true
      firstSubtoken.push(-1)
      continue
    }
    firstSubtoken.push(ids.length)
    const shape = wordShape(word)
    for (const piece of pieces) {
      ids.push(piece)
      shapes.push(shape)
    }
  }
  ids.push(tokenizer.sepId)
  shapes.push(SHAPE_PAD)
  return { ids, shapes, firstSubtoken }
}

/**
 * Splits a long word list into consecutive windows whose stage-1 encoding fits
 * `maxLength`. Every word lands in exactly one window (a single word longer
 * than a window is cut to its first pieces by the tokenizer budget).
 */
export function stage1Windows (words: readonly string[], tokenizer: WordTokenizer, maxLength: number): Array<{ start: number, end: number }> {
  const windows: Array<{ start: number, end: number }> = []
  const room = maxLength - 2
  let start = 0
  let used = 0
  for (let i = 0; i < words.length; i++) {
    const size = Math.min(tokenizer.encodeWord(words[i] as string).length, room)
    if (used + size > room && i > start) {
      windows.push({ start, end: i })
      start = i
      used = 0
    }
    used += size
  }
  if (start < words.length) windows.push({ start, end: words.length })
  return windows
}

export const STAGE2_BUDGET = Object.freeze({
  entity: 16,
  sentence: 64,
  knowledge: 48,
  imageText: 16,
  objectLabel: 4,
  objects: 18
})

export interface Stage2PromptInput {
  entityWords: readonly string[]
  sentenceWords: readonly string[]
  knowledge: string
  imageText: string
  /** Object labels in relevance order; at most `STAGE2_BUDGET.objects` are used. */
  objectLabels: readonly string[]
}

export interface Stage2Encoding extends EncodedSequence {
  maskIndex: number
  /** Positions of the `<obj>` markers, one per object kept in the prompt. */
  objIndex: number[]
}

interface Piece { id: number, shape: number }

function wordsToPieces (words: readonly string[], tokenizer: WordTokenizer, withShape: boolean): Piece[] {
  const pieces: Piece[] = []
  for (const word of words) {
    const shape = withShape ? wordShape(word) : SHAPE_PAD
    for (const id of tokenizer.encodeWord(word)) pieces.push({ id, shape })
  }
  return pieces
}

function textToPieces (text: string, tokenizer: WordTokenizer): Piece[] {
  return tokenizer.encodeText(text).map((id) => ({ id, shape: SHAPE_PAD }))
}

const TEMPLATE = Object.freeze({
  head: 'the entity is',
  link: 'for',
  tail: 'in this sentence .'
})

/** The SCANNER stage-2 prompt, built from id segments. */
export function encodeStage2 (input: Stage2PromptInput, tokenizer: WordTokenizer, maxLength: number): Stage2Encoding {
  const special = (id: number): Piece => ({ id, shape: SHAPE_PAD })
  const entity = wordsToPieces(input.entityWords, tokenizer, true).slice(0, STAGE2_BUDGET.entity)
  const sentence = wordsToPieces(input.sentenceWords, tokenizer, true).slice(0, STAGE2_BUDGET.sentence)
  let knowledge = textToPieces(input.knowledge, tokenizer).slice(0, STAGE2_BUDGET.knowledge)
  const imageText = textToPieces(input.imageText, tokenizer).slice(0, STAGE2_BUDGET.imageText)
  const objects = input.objectLabels
    .slice(0, STAGE2_BUDGET.objects)
    .map((label) => textToPieces(label, tokenizer).slice(0, STAGE2_BUDGET.objectLabel))

  const prefix: Piece[] = [
    special(tokenizer.clsId),
    ...textToPieces(TEMPLATE.head, tokenizer),
    special(tokenizer.maskId),
    ...textToPieces(TEMPLATE.link, tokenizer),
    ...entity,
    ...textToPieces(TEMPLATE.tail, tokenizer),
    ...sentence,
    special(tokenizer.sepId)
  ]
  const fixed = prefix.length + 1 + imageText.length + 1 + 1 // knowledge [SEP], image text [SEP], final [SEP]
  const objectsLength = (): number => objects.reduce((sum, label) => sum + 1 + label.length, 0)
  while (objects.length > 0 && fixed + knowledge.length + objectsLength() > maxLength) objects.pop()
  if (fixed + knowledge.length > maxLength) knowledge = knowledge.slice(0, Math.max(0, maxLength - fixed))

  const pieces: Piece[] = [...prefix, ...knowledge, special(tokenizer.sepId), ...imageText, special(tokenizer.sepId)]
  const objIndex: number[] = []
  for (const label of objects) {
    objIndex.push(pieces.length)
    pieces.push(special(tokenizer.objId), ...label)
  }
  pieces.push(special(tokenizer.sepId))
  // A pathological prefix (never with the contract's budgets) is still cut to fit.
  const kept = pieces.slice(0, maxLength)
  return {
    ids: kept.map((piece) => piece.id),
    shapes: kept.map((piece) => piece.shape),
    maskIndex: prefix.findIndex((piece, i) => i > 0 && piece.id === tokenizer.maskId),
    objIndex: objIndex.filter((index) => index < maxLength)
  }
}
