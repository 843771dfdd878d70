// Plain fakes for pipeline tests: rule-based stages (capitalised word runs,
// hashtags and mentions are entities) with an optional delay, an in-memory
// sink and dead-letter sink. Deterministic, so tests know every expected
// document without a model.
import type { EntityType, PostInput } from '../../src/contracts/index.js'
import { PostSchema } from '../../src/contracts/index.js'
import { newPostWork } from '../../src/consumers/index.js'
import type { DeadLetter, DeadLetterSink, PostWork, Sink, SinkOutcome, Stage, StageName } from '../../src/pipeline/index.js'
import { sleep } from '../../src/pipeline/index.js'

const ENTITY_PATTERN = /[#@][\p{L}\p{N}_]+|\p{Lu}[\p{L}\p{N}'’.-]*(?:\s+\p{Lu}[\p{L}\p{N}'’.-]*)*/gu
const ORGS = new Set(['Nike', 'Apple', 'Tesla', 'Google', 'Microsoft', 'NASA', 'Amazon', 'Netflix', 'Toyota', 'IKEA'])

export function ruleSpans (text: string): Array<{ text: string, start: number, end: number }> {
  const spans = []
  for (const match of text.matchAll(ENTITY_PATTERN)) {
    const start = match.index
    spans.push({ text: match[0], start, end: start + match[0].length })
  }
  return spans
}

export function ruleType (text: string): EntityType {
  if (ORGS.has(text)) return 'ORG'
  if (text.startsWith('@')) return 'PER'
  if (text.startsWith('#')) return 'OTHER'
  return text.includes(' ') ? 'PER' : 'LOC'
}

export interface FakeStageOptions {
  delayMs?: number
  /** Records [stage, 'start' | 'end', batch number] in order. */
  trace?: Array<[string, 'start' | 'end', number]>
  fail?: (batch: PostWork[]) => boolean
}

function fakeStage (name: StageName, options: FakeStageOptions, apply: (work: PostWork) => void): Stage {
  let batchNo = 0
  return {
    name,
    async init () {},
    async run (batch) {
      const n = batchNo++
      options.trace?.push([name, 'start', n])
      if (options.delayMs !== undefined && options.delayMs > 0) await sleep(options.delayMs)
      if (options.fail?.(batch) === true) throw new Error(`${name} exploded`)
      for (const work of batch) apply(work)
      options.trace?.push([name, 'end', n])
      return batch
    },
    async close () {}
  }
}

export function fakeStages (options: FakeStageOptions = {}): Stage[] {
  const stage1 = fakeStage('stage1', options, (work) => {
    work.candidates = ruleSpans(work.post.text).map((span, i) => ({
      candidate: { postId: work.post.id, text: span.text, start: span.start, end: span.end, wordStart: i, wordEnd: i + 1, score: 0.9 },
      knowledge: null
    }))
  })
  const stage2 = fakeStage('stage2', options, (work) => {
    work.entities = work.candidates.map(({ candidate }) => ({
      candidate, type: ruleType(candidate.text), typeScore: 0.8, knowledge: null, grounding: null
    }))
  })
  return [stage1, stage2]
}

export function makePost (i: number, overrides: Partial<PostInput> = {}): PostInput {
  return {
    id: `post-${String(i).padStart(5, '0')}`,
    text: `Post ${i}: Maria Lopez visited Paris with Nike #run${i % 7} @friend${i % 5}`,
    created_at: new Date().toISOString(),
    author: { id: `author-${i % 11}` },
    language: 'en',
    ...overrides
  }
}

export function makeWork (i: number, overrides: Partial<PostInput> = {}): PostWork {
  return newPostWork(PostSchema.parse(makePost(i, overrides)), { topic: 't', partition: i % 3, offset: String(i) })
}

export class MemorySink implements Sink {
  readonly name = 'sink'
  readonly written: PostWork[] = []
  delayMs = 0
  reject: (work: PostWork) => string | null = () => null
  async init (): Promise<void> {}
  async write (items: readonly PostWork[], _signal?: AbortSignal): Promise<SinkOutcome[]> {
    if (this.delayMs > 0) await sleep(this.delayMs)
    return items.map((work) => {
      const reason = this.reject(work)
      if (reason !== null) return { ok: false, reason: 'mapper_parsing_exception', detail: reason }
      this.written.push(work)
      return { ok: true, documents: work.entities.length }
    })
  }

  async close (): Promise<void> {}
}

export class MemoryDeadLetters implements DeadLetterSink {
  readonly records: DeadLetter[] = []
  async publish (records: readonly DeadLetter[]): Promise<void> { this.records.push(...records) }
  async close (): Promise<void> {}
}
