// JSONL file sinks for the embedded default: entity documents, and rejected
// records, one JSON object per line, written line by line (a batch of long
// posts never becomes one string). A file run writes next to the target and
// renames over it only when the run succeeded, so a failed run (a missing
// input, a crash) never truncates what was there.
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ModelVersions } from '../contracts/index.js'
import { GroundstreamError, errorMessage, isGroundstreamError } from '../errors/index.js'
import type { DeadLetter, DeadLetterSink, PostWork, Sink, SinkOutcome } from '../pipeline/index.js'
import { toEntityDocuments } from './documents.js'

/**
 * `replace`: lines go to a temporary file next to the target, renamed over it
 * by commit() (a run that fails leaves the previous file as it was);
 * `append`: lines are added to the file (a long-running service that restarts).
 */
export type JsonlWriteMode = 'replace' | 'append'

/** What an operating-system error means for a file the user named, and what to do about it. */
const FILE_PROBLEMS: Record<string, string> = {
  EISDIR: 'is a directory: give a file path',
  ENOTDIR: 'has a file where a folder is expected in its path: give a path whose folders are folders',
  EACCES: 'is not writable (permission denied): fix the permissions or give a path you can write',
  EPERM: 'is not writable (operation not permitted): fix the permissions or give a path you can write',
  EROFS: 'is on a read-only file system: give a path on a writable one',
  ENOSPC: 'cannot be written: the disk is full; free some space or write to another disk',
  EDQUOT: 'cannot be written: the disk quota is used up; free some space or write to another disk',
  ENAMETOOLONG: 'has a name that is too long: give a shorter path',
  ENOENT: 'cannot be created: a folder in its path is missing and could not be made; give a path under a folder that exists'
}

/**
 * A GS_ERR_SINK error about file `path` that says what is wrong with it and
 * how to fix it (details.file = the path, so the CLI does not take it for a
 * cluster problem).
 */
export function fileSinkError (path: string, error: unknown): GroundstreamError {
  if (error instanceof GroundstreamError) return error
  const code = (error as { code?: string } | undefined)?.code
  const problem = code === undefined ? undefined : FILE_PROBLEMS[code]
  const message = problem === undefined ? `cannot write ${path}: ${errorMessage(error)}` : `${path} ${problem} (${code as string})`
  return new GroundstreamError('GS_ERR_SINK', message, { cause: error, details: { file: path } })
}

class JsonlWriter {
  private stream: WriteStream | null = null
  private readonly path: string
  private readonly mode: JsonlWriteMode
  private temp: string | null = null
  private done = false
  private failure: GroundstreamError | null = null

  constructor (path: string, mode: JsonlWriteMode) {
    this.path = path
    this.mode = mode
  }

  async open (): Promise<void> {
    if (this.stream !== null) return
    if (this.done) throw new GroundstreamError('GS_ERR_SINK', `${this.path} is already closed`)
    try {
      // A directory would only fail the rename at the end: say so before writing anything.
      // (stat itself fails when a file stands where the path needs a folder: ENOTDIR.)
      if (statSync(this.path, { throwIfNoEntry: false })?.isDirectory() === true) throw fileSinkError(this.path, { code: 'EISDIR' })
      mkdirSync(dirname(this.path), { recursive: true })
    } catch (error) {
      throw fileSinkError(this.path, error)
    }
    // Same folder, so the rename is atomic; a name no one else uses, created exclusively.
    const target = this.mode === 'replace'
      ? join(dirname(this.path), `.${basename(this.path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
      : this.path
    const stream = createWriteStream(target, { flags: this.mode === 'replace' ? 'wx' : 'a' })
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => { resolve() })
      stream.once('error', (error) => { reject(fileSinkError(this.path, error)) })
    })
    // A later write error (disk full) fails the next write and the commit, not the process.
    stream.on('error', (error) => { this.failure ??= fileSinkError(this.path, error) })
    this.stream = stream
    if (this.mode === 'replace') this.temp = target
  }

  /** One line at a time, waiting for the stream to drain: never a batch-sized string. */
  async writeLines (values: Iterable<unknown>): Promise<number> {
    let written = 0
    for (const value of values) {
      if (this.stream === null) await this.open()
      if (this.failure !== null) throw this.failure
      const stream = this.stream as WriteStream
      if (!stream.write(JSON.stringify(value) + '\n')) {
        await new Promise<void>((resolve, reject) => {
          const onError = (): void => { reject(this.failure ?? new GroundstreamError('GS_ERR_SINK', `cannot write ${this.path}`)) }
          stream.once('error', onError)
          stream.once('drain', () => { stream.off('error', onError); resolve() })
        })
      }
      written++
    }
    return written
  }

  /** The run succeeded: the file now holds exactly what was written (an empty file when nothing was). */
  async commit (): Promise<void> {
    if (this.done) return
    if (this.stream === null) await this.open()
    try {
      await this.end()
      if (this.failure !== null) throw this.failure
      if (this.temp !== null) renameSync(this.temp, this.path)
    } catch (error) {
      // Nothing half-written stays behind: the temporary file goes, the previous file stays as it was.
      if (this.temp !== null) rmSync(this.temp, { force: true })
      throw isGroundstreamError(error) ? error : fileSinkError(this.path, error)
    } finally {
      this.temp = null
      this.done = true
    }
  }

  /** Without a commit, a replacing writer removes its temporary file and the previous one stays. */
  async close (): Promise<void> {
    this.done = true
    try {
      await this.end()
    } finally {
      if (this.temp !== null) {
        rmSync(this.temp, { force: true })
        this.temp = null
      }
    }
  }

  private async end (): Promise<void> {
    const stream = this.stream
    if (stream === null) return
    this.stream = null
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => { if (error) reject(fileSinkError(this.path, error)); else resolve() })
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

  constructor (options: { path: string, models: ModelVersions, now?: () => Date, mode?: JsonlWriteMode }) {
    this.path = options.path
    this.writer = new JsonlWriter(options.path, options.mode ?? 'replace')
    this.models = options.models
    this.now = options.now ?? (() => new Date())
  }

  async init (): Promise<void> { await this.writer.open() }

  /** Call once the run succeeded: the output replaces the previous file. Without it, close() leaves that file alone. */
  async commit (): Promise<void> { await this.writer.commit() }

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

  constructor (path: string, mode: JsonlWriteMode = 'replace') {
    this.path = path
    this.writer = new JsonlWriter(path, mode)
  }

  /** Opens the file at start, so a path that cannot be written fails the run before any post is read (not at the first rejected post). */
  async init (): Promise<void> { await this.writer.open() }

  /** Moves the dead letters into place (see JsonlSink.commit). */
  async commit (): Promise<void> { await this.writer.commit() }

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
