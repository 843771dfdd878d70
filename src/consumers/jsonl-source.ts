// The embedded default's source: a JSONL file of posts, one per line, fed
// through the same edge validation as Kafka records (line numbers stand in for
// offsets). Lines are read as bytes, one at a time, so invalid UTF-8 is
// dead-lettered (invalid_encoding) and an over-long line is never held in
// memory whole. Bad lines are dead-lettered and the file goes on.
import { wrapError } from '../errors/index.js'
import type { DeadLetterSink, Pipeline } from '../pipeline/index.js'
import { decodeRecord } from './decode.js'
import { isBlank, openLines } from './lines.js'

export interface JsonlSourceResult {
  lines: number
  admitted: number
  indexed: number
  deadLettered: number
  reasons: Record<string, number>
}

export interface JsonlSourceOptions {
  path: string
  pipeline: Pipeline
  deadLetters: DeadLetterSink
  maxRecordBytes: number
  /** Stop after this many non-empty lines. */
  limit?: number
  signal?: AbortSignal
  onAdmitted?: () => void
  onDone?: () => void
}

export async function countJsonlLines (path: string): Promise<number> {
  let count = 0
  // Lines are only counted: nothing longer than a short blank-line check is kept.
  for await (const line of await openLines(path, 256)) if (!isBlank(line)) count++
  return count
}

export async function runJsonlSource (options: JsonlSourceOptions): Promise<JsonlSourceResult> {
  const { pipeline, deadLetters } = options
  const result: JsonlSourceResult = { lines: 0, admitted: 0, indexed: 0, deadLettered: 0, reasons: {} }
  const done: Array<Promise<void>> = []
  const topic = `file:${options.path}`
  const lines = await openLines(options.path, options.maxRecordBytes)
  const deadLetter = (reason: string): void => {
    result.deadLettered++
    result.reasons[reason] = (result.reasons[reason] ?? 0) + 1
    options.onDone?.()
  }
  for await (const line of lines) {
    if (isBlank(line)) continue
    if (options.limit !== undefined && result.lines >= options.limit) break
    if (options.signal?.aborted === true) break
    result.lines++
    await pipeline.waitForCapacity(options.signal)
    if (pipeline.error !== null) throw pipeline.error
    const coordinates = { topic, partition: 0, offset: String(line.number) }
    const decoded = line.bytes === null
      ? { ok: false as const, deadLetter: { reason: 'oversized' as const, detail: `line is ${line.length} bytes, limit ${options.maxRecordBytes}`, source: coordinates, key: null, value: null } }
      : decodeRecord(line.bytes, null, coordinates, options.maxRecordBytes)
    if (!decoded.ok) {
      await deadLetters.publish([decoded.deadLetter])
      deadLetter(decoded.deadLetter.reason)
      continue
    }
    result.admitted++
    options.onAdmitted?.()
    done.push(pipeline.push(decoded.work).then((outcome) => {
      if (outcome === 'indexed') {
        result.indexed++
        options.onDone?.()
      } else {
        deadLetter('sink_rejected')
      }
    }))
  }
  pipeline.flush()
  const settled = await Promise.allSettled(done)
  const failed = settled.find((entry): entry is PromiseRejectedResult => entry.status === 'rejected')
  if (failed !== undefined) throw wrapError('GS_ERR_SINK', 'posts were not indexed', failed.reason)
  return result
}
