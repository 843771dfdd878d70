// The text models' inference engine: tokenise, batch with dynamic padding,
// run ONNX Runtime, decode. It blocks while a graph runs, so the service
// uses it inside a worker thread (text-worker.ts); eval and tests may use it
// directly.
import path from 'node:path'
import type * as ort from 'onnxruntime-node'
import { STAGE2_LABELS, type Stage2Label } from '../contracts/index.js'
import { GroundstreamError, wrapError } from '../errors/index.js'
import type { Recognizer, TextModelsConfig } from './config.js'
import { BIO_LABELS, argmax, bioLabels, decodeBioSpans, softmax, type WordSpan } from './decoding.js'
import { encodeStage1, encodeStage2, stage1Windows, type EncodedSequence } from './encoding.js'
import { createSession, type LoadedSession } from '../runtime/index.js'
import { float32Output, float32Tensor, int64Matrix, int64Vector, loadModelFiles, type LoadedModel } from './onnx.js'
import { planRuns } from './runs.js'
import { decodeSetPredictions, type SetSpan } from './set-decoding.js'
import { loadModelTokenizer, type WordTokenizer } from './tokenizer.js'

/** Posts longer than this many words are only tagged on their first words. */
const MAX_WORDS_PER_TEXT = 4096

export interface SpanRequest {
  words: readonly string[]
}

export interface SpanResult {
  spans: WordSpan[]
  /** Words past `MAX_WORDS_PER_TEXT` that were not tagged. */
  skippedWords: number
  /** Per word: softmax over O/B/I of its first sub-token (only with `withProbabilities`). */
  wordProbabilities?: number[][]
}

export interface TypeRequest {
  entityWords: readonly string[]
  sentenceWords: readonly string[]
  knowledge: string
  imageText: string
  /** Region labels in relevance order (an object's class, or a text line). */
  objectLabels: readonly string[]
}

export interface TypeResult {
  label: Stage2Label
  /** Softmax over PER, LOC, ORG, OTHER, NONE. */
  scores: number[]
  /** Overlap probability for each object label that fitted in the prompt, in order. */
  objScores: number[]
}

/** The MQSPN recogniser's answer for one post: typed spans in word order. */
export interface SetResult {
  spans: SetSpan[]
  /** Words past `MAX_WORDS_PER_TEXT` that were not read. */
  skippedWords: number
}

export interface TextModelsInfo {
  recognizer: Recognizer
  /** The first stage's model: stage 1's tagger, or the MQSPN set recogniser. */
  stage1: { version: string, provider: string, file: string, maxLength: number }
  stage2: { version: string, provider: string, file: string, maxLength: number }
}

/** What stages need from the text models, whether in-process or in a worker. */
export interface TextModels {
  readonly info: TextModelsInfo
  /** Stage 1's BIO tagger (recognizer `scanner` only). */
  detectSpans (requests: readonly SpanRequest[], options?: { withProbabilities?: boolean }): Promise<SpanResult[]>
  /** MQSPN's one-pass set prediction of typed spans (recognizer `mqspn` only). */
  recogniseSet (requests: readonly SpanRequest[]): Promise<SetResult[]>
  recogniseTypes (requests: readonly TypeRequest[]): Promise<TypeResult[]>
  close (): Promise<void>
}

interface LoadedStage {
  model: LoadedModel
  session: LoadedSession
  tokenizer: WordTokenizer
}

async function loadStage (dir: string, config: TextModelsConfig): Promise<LoadedStage> {
  const model = await loadModelFiles(dir, config.precision)
  const [session, tokenizer] = await Promise.all([
    createSession(model.modelFile, {
      executionProvider: config.executionProvider,
      intraOpThreads: config.intraOpThreads,
      interOpThreads: config.interOpThreads,
      allowSpinning: config.allowSpinning
    }),
    loadModelTokenizer(model)
  ])
  return { model, session, tokenizer }
}

function checkLabels (stage: LoadedStage, expected: readonly string[]): void {
  const labels = stage.model.manifest.labels
  if (labels.length !== expected.length || labels.some((label, i) => label !== expected[i])) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `model in ${stage.model.dir} has labels [${labels.join(', ')}], expected [${expected.join(', ')}]`)
  }
}

async function run (stage: LoadedStage, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await stage.session.session.run(feeds)
  } catch (error) {
    throw wrapError('GS_ERR_INFERENCE', `inference failed for ${stage.model.modelFile}`, error)
  }
}

function sequenceFeeds (sequences: readonly EncodedSequence[], padId: number): Record<string, ort.Tensor> {
  const width = Math.max(...sequences.map((sequence) => sequence.ids.length))
  return {
    input_ids: int64Matrix(sequences.map((sequence) => sequence.ids), width, padId),
    attention_mask: int64Matrix(sequences.map((sequence) => sequence.ids.map(() => 1)), width, 0),
    shape_ids: int64Matrix(sequences.map((sequence) => sequence.shapes), width, 0)
  }
}

/** MQSPN's region input: detector-region features, none here (the region head is untrained, see the manifest). */
const MQSPN_REGION_DIM = 384

export async function createTextEngine (config: TextModelsConfig): Promise<TextModels> {
  const mqspn = config.recognizer === 'mqspn'
  const [stage1, stage2] = await Promise.all([
    loadStage(path.join(config.modelsDir, mqspn ? 'mqspn' : 'stage1'), config),
    loadStage(path.join(config.modelsDir, 'stage2'), config)
  ])
  checkLabels(stage1, mqspn ? STAGE2_LABELS : BIO_LABELS)
  checkLabels(stage2, STAGE2_LABELS)
  const objectSlots = 18

  /** The ONNX runs for these sequences: length-sorted, cut where the padding saved outweighs a run's cost. */
  function runsOf (sequences: readonly EncodedSequence[]): number[][] {
    return planRuns(sequences.map((sequence) => sequence.ids.length), { maxPerRun: config.maxSequencesPerRun, runCostTokens: config.runCostTokens })
  }

  function requireRecognizer (wanted: Recognizer, method: string): void {
    if (config.recognizer !== wanted) {
      throw new GroundstreamError('GS_ERR_CONFIG', `${method} needs textModels.recognizer '${wanted}', this engine runs '${config.recognizer}'`)
    }
  }

  /** Each request's words cut into windows that fit the first model. */
  function firstStageWindows (requests: readonly SpanRequest[]): Array<{ requestIndex: number, start: number, encoding: ReturnType<typeof encodeStage1> }> {
    const maxLength = stage1.model.manifest.max_length
    return requests.flatMap((request, requestIndex) => {
      const words = request.words.slice(0, MAX_WORDS_PER_TEXT)
      return stage1Windows(words, stage1.tokenizer, maxLength).map(({ start, end }) => ({
        requestIndex,
        start,
        encoding: encodeStage1(words.slice(start, end), stage1.tokenizer, maxLength)
      }))
    })
  }

  async function recogniseSet (requests: readonly SpanRequest[]): Promise<SetResult[]> {
    requireRecognizer('mqspn', 'recogniseSet')
    const windows = firstStageWindows(requests)
    const spans: SetSpan[][] = requests.map(() => [])
    const maxSpanWords = stage1.model.manifest.max_span_words ?? 10
    for (const chunk of runsOf(windows.map((window) => window.encoding))) {
      const batch = chunk.map((index) => windows[index] as typeof windows[number])
      const feeds = sequenceFeeds(batch.map((window) => window.encoding), stage1.tokenizer.padId)
      feeds.region_features = float32Tensor(new Float32Array(0), [batch.length, 0, MQSPN_REGION_DIM])
      feeds.region_mask = int64Matrix(batch.map(() => []), 0, 0)
      const outputs = await run(stage1, feeds)
      const typeLogits = float32Output(outputs, 'type_logits')
      const startLogits = float32Output(outputs, 'start_logits')
      const endLogits = float32Output(outputs, 'end_logits')
      const [, queries = 0, labels = 0] = typeLogits.dims
      const [, , width = 0] = startLogits.dims
      batch.forEach((window, row) => {
        const found = decodeSetPredictions({
          typeLogits: typeLogits.data.subarray(row * queries * labels, (row + 1) * queries * labels),
          startLogits: startLogits.data.subarray(row * queries * width, (row + 1) * queries * width),
          endLogits: endLogits.data.subarray(row * queries * width, (row + 1) * queries * width),
          queries,
          width
        }, window.encoding.firstSubtoken, { maxNoneScore: config.maxNoneScore, minTypeScore: config.minTypeScore, maxSpanWords })
        const target = spans[window.requestIndex] as SetSpan[]
        for (const span of found) target.push({ ...span, start: span.start + window.start, end: span.end + window.start })
      })
    }
    return requests.map((request, i) => ({
      spans: (spans[i] as SetSpan[]).sort((a, b) => a.start - b.start),
      skippedWords: Math.max(0, request.words.length - MAX_WORDS_PER_TEXT)
    }))
  }

  async function detectSpans (requests: readonly SpanRequest[], options: { withProbabilities?: boolean } = {}): Promise<SpanResult[]> {
    requireRecognizer('scanner', 'detectSpans')
    const windows = firstStageWindows(requests)
    const probabilities = requests.map((request) => Array.from({ length: Math.min(request.words.length, MAX_WORDS_PER_TEXT) }, () => [1, 0, 0]))
    for (const chunk of runsOf(windows.map((window) => window.encoding))) {
      const batch = chunk.map((index) => windows[index] as typeof windows[number])
      const outputs = await run(stage1, sequenceFeeds(batch.map((window) => window.encoding), stage1.tokenizer.padId))
      const logits = float32Output(outputs, 'logits')
      const [, width = 0, labels = 0] = logits.dims
      batch.forEach((window, row) => {
        window.encoding.firstSubtoken.forEach((position, offset) => {
          if (position < 0) return
          const target = probabilities[window.requestIndex] as number[][]
          target[window.start + offset] = softmax(logits.data, (row * width + position) * labels, labels)
        })
      })
    }
    return requests.map((request, i) => {
      const wordProbabilities = probabilities[i] as number[][]
      const labels = bioLabels(wordProbabilities)
      const spans = decodeBioSpans(labels, labels.map((label, word) => (wordProbabilities[word] as number[])[BIO_LABELS.indexOf(label)] as number))
      const result: SpanResult = { spans, skippedWords: Math.max(0, request.words.length - MAX_WORDS_PER_TEXT) }
      if (options.withProbabilities === true) result.wordProbabilities = wordProbabilities
      return result
    })
  }

  async function recogniseTypes (requests: readonly TypeRequest[]): Promise<TypeResult[]> {
    const maxLength = stage2.model.manifest.max_length
    const encodings = requests.map((request) => encodeStage2({
      entityWords: request.entityWords,
      sentenceWords: request.sentenceWords,
      knowledge: request.knowledge,
      imageText: request.imageText,
      objectLabels: request.objectLabels
    }, stage2.tokenizer, maxLength))
    const results: TypeResult[] = new Array(requests.length)
    for (const chunk of runsOf(encodings)) {
      const batch = chunk.map((index) => encodings[index] as typeof encodings[number])
      const feeds = sequenceFeeds(batch, stage2.tokenizer.padId)
      feeds.mask_index = int64Vector(batch.map((encoding) => encoding.maskIndex))
      feeds.obj_index = int64Matrix(batch.map((encoding) => encoding.objIndex), objectSlots, 0)
      const outputs = await run(stage2, feeds)
      const typeLogits = float32Output(outputs, 'type_logits')
      const objScores = float32Output(outputs, 'obj_scores')
      const labelCount = STAGE2_LABELS.length
      const slots = objScores.dims[1] ?? objectSlots
      chunk.forEach((requestIndex, row) => {
        const scores = softmax(typeLogits.data, row * labelCount, labelCount)
        const used = (encodings[requestIndex] as typeof encodings[number]).objIndex.length
        results[requestIndex] = {
          label: STAGE2_LABELS[argmax(scores)] as Stage2Label,
          scores,
          objScores: Array.from(objScores.data.subarray(row * slots, row * slots + used))
        }
      })
    }
    return results
  }

  const info: TextModelsInfo = {
    recognizer: config.recognizer,
    stage1: { version: stage1.model.manifest.version, provider: stage1.session.provider, file: stage1.model.modelFile, maxLength: stage1.model.manifest.max_length },
    stage2: { version: stage2.model.manifest.version, provider: stage2.session.provider, file: stage2.model.modelFile, maxLength: stage2.model.manifest.max_length }
  }

  let closed = false
  async function close (): Promise<void> {
    if (closed) return
    closed = true
    await Promise.all([stage1.session.session.release(), stage2.session.session.release()])
  }

  return Object.freeze({ info, detectSpans, recogniseSet, recogniseTypes, close })
}
