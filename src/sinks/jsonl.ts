// JSONL file sinks for the embedded default: entity documents, and rejected
// records, one JSON object per line.
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

  async writeLines (values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return
    if (this.stream === null) await this.open()
    const stream = this.stream as WriteStream
    const text = values.map((value) => JSON.stringify(value)).join('\n') + '\n'
    if (!stream.write(text)) await new Promise<void>((resolve) => { stream.once('drain', () => { resolve() }) })
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
    const lines: unknown[] = []
    for (const work of items) {
      const docs = toEntityDocuments(work, this.models, processedAt)
      lines.push(...docs)
      outcomes.push({ ok: true, documents: docs.length })
    }
    await this.writer.writeLines(lines)
    this.documents += lines.length
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
