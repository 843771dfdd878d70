// JSONL file sinks for the embedded default: entity documents, and rejected
// records, one JSON object per line, written line by line (a batch of long
// posts never becomes one string).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import type { ModelVersions } from '../contracts/index.js'
import { wrapError } from '../errors/index.js'
import type { DeadLetter, DeadLetterSink, PostWork, Sink, SinkOutcome } from '../pipeline/index.js'
import { toEntityDocuments } from './documents.js'

class JsonlWriter {
  private stream: WriteStream | null = null
  private readonly path: string

  constructor (path: string) {
    this.path = path
  }

  async open (): Promise<void> {
    if (this.stream !== null) return
    mkdirSync(dirname(this.path), { recursive: true })
    const stream = createWriteStream(this.path, { flags: 'w' })
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => { resolve() })
      stream.once('error', (error) => { reject(wrapError('GS_ERR_SINK', `cannot open ${this.path}`, error)) })
    })
    this.stream = stream
  }

  /** One line at a time, waiting for the stream to drain: never a batch-sized string. */
  async writeLines (values: Iterable<unknown>): Promise<number> {
    let written = 0
    for (const value of values) {
      if (this.stream === null) await this.open()
      const stream = this.stream as WriteStream
      if (!stream.write(JSON.stringify(value) + '\n')) await new Promise<void>((resolve) => { stream.once('drain', () => { resolve() }) })
      written++
    }
    return written
  }

  async close (): Promise<void> {
    const stream = this.stream
    if (stream === null) return
    this.stream = null
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => { if (error) reject(wrapError('GS_ERR_SINK', `cannot close ${this.path}`, error)); else resolve() })
    })
  }
}

export class JsonlSink implements Sink {
  readonly name = 'sink'
  readonly path: string
  private readonly writer: JsonlWriter
  private readonly models: ModelVersions
  private readonly now: () => Date
  documents = 0

  constructor (options: { path: string, models: ModelVersions, now?: () => Date }) {
    this.path = options.path
    this.writer = new JsonlWriter(options.path)
    this.models = options.models
    this.now = options.now ?? (() => new Date())
  }

  async init (): Promise<void> { await this.writer.open() }

  async write (items: readonly PostWork[]): Promise<SinkOutcome[]> {
    const processedAt = this.now().toISOString()
    const outcomes: SinkOutcome[] = []
    for (const work of items) {
      const documents = await this.writer.writeLines(toEntityDocuments(work, this.models, processedAt))
      outcomes.push({ ok: true, documents })
      this.documents += documents
    }
    return outcomes
  }

  async close (): Promise<void> { await this.writer.close() }
}

export class JsonlDeadLetterSink implements DeadLetterSink {
  readonly path: string
  private readonly writer: JsonlWriter
  count = 0

  constructor (path: string) {
    this.path = path
    this.writer = new JsonlWriter(path)
  }

  async publish (records: readonly DeadLetter[]): Promise<void> {
    this.count += records.length
    await this.writer.writeLines(records.map((record) => ({
      reason: record.reason,
      detail: record.detail,
      source: record.source,
      post_id: record.postId ?? null,
      value: record.value === null ? null : record.value.toString()
    })))
  }

  async close (): Promise<void> { await this.writer.close() }
}
