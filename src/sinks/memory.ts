// In-memory sinks: the finished posts and their entity documents, and the
// dead letters, kept in this process for a caller that reads them back (eval
// scores each post's final PostWork; a bench or a tool can inspect the
// documents). Nothing is written anywhere; a sink holds what it was given
// until `take()` hands it over.
import type { EntityDocument, ModelVersions } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import type { DeadLetter, DeadLetterSink, PostWork, Sink, SinkOutcome } from '../pipeline/index.js'
import { toEntityDocuments } from './documents.js'

/** One finished post as the sink received it, with the entity documents it maps to. */
export interface CollectedPost {
  work: PostWork
  documents: EntityDocument[]
}

export interface InMemorySinkOptions {
  models: ModelVersions
  now?: () => Date
}

export class InMemorySink implements Sink {
  readonly name = 'sink'
  private readonly models: ModelVersions
  private readonly now: () => Date
  private collected: CollectedPost[] = []
  private closed = false

  constructor (options: InMemorySinkOptions) {
    this.models = options.models
    this.now = options.now ?? (() => new Date())
  }

  async init (): Promise<void> {}

  /** Posts held now, in the order they reached the sink (batches may arrive out of input order). */
  get size (): number { return this.collected.length }

  async write (items: readonly PostWork[]): Promise<SinkOutcome[]> {
    if (this.closed) throw new GroundstreamError('GS_ERR_SINK', 'in-memory sink is closed')
    const processedAt = this.now().toISOString()
    return items.map((work) => {
      const documents = toEntityDocuments(work, this.models, processedAt)
      this.collected.push({ work, documents })
      return { ok: true, documents: documents.length }
    })
  }

  /** Hands over everything held so far, in arrival order, and forgets it. */
  take (): CollectedPost[] {
    const taken = this.collected
    this.collected = []
    return taken
  }

  async close (): Promise<void> {
    this.closed = true
    this.collected = []
  }
}

export class InMemoryDeadLetterSink implements DeadLetterSink {
  private records: DeadLetter[] = []

  get size (): number { return this.records.length }

  async publish (records: readonly DeadLetter[]): Promise<void> { this.records.push(...records) }

  /** Hands over the dead letters held so far, in publish order, and forgets them. */
  take (): DeadLetter[] {
    const taken = this.records
    this.records = []
    return taken
  }

  async close (): Promise<void> { this.records = [] }
}
