// Lines of a file as raw bytes, streamed: nothing larger than one line (or, for
// a line over the limit, than maxLineBytes) is ever held, and bytes are not
// decoded here, so invalid UTF-8 reaches the edge validation untouched (and is
// dead-lettered as invalid_encoding, as in Kafka mode).
import { createReadStream } from 'node:fs'
import { wrapError } from '../errors/index.js'

export interface RawLine {
  /** 1-based line number. */
  number: number
  /** The line's bytes without the newline (and a trailing CR), or null when it was longer than maxLineBytes. */
  bytes: Buffer | null
  /** The line's whole length in bytes. */
  length: number
}

/** Opens the file first, so a missing or unreadable file is a GS_ERR_CONFIG before anything else happens. */
export async function openLines (path: string, maxLineBytes: number): Promise<AsyncGenerator<RawLine>> {
  const input = createReadStream(path)
  await new Promise<void>((resolve, reject) => {
    input.once('open', () => { resolve() })
    input.once('error', (error) => { reject(wrapError('GS_ERR_CONFIG', `cannot read ${path}`, error)) })
  })
  return readLines(input, maxLineBytes)
}

async function * readLines (input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawLine> {
  let parts: Buffer[] = []
  let held = 0
  let length = 0
  let number = 0
  const take = (): RawLine => {
    number++
    let bytes: Buffer | null = null
    if (length <= maxLineBytes) {
      bytes = parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts, held)
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
    }
    const line = { number, bytes, length }
    parts = []
    held = 0
    length = 0
    return line
  }
  const add = (piece: Buffer): void => {
    length += piece.length
    // Past the limit the line is only measured, never kept.
    if (length <= maxLineBytes) {
      parts.push(piece)
      held += piece.length
    } else if (parts.length > 0) {
      parts = []
      held = 0
    }
  }
  for await (const chunk of input) {
    let from = 0
    for (;;) {
      const newline = chunk.indexOf(0x0a, from)
      if (newline === -1) break
      add(chunk.subarray(from, newline))
      yield take()
      from = newline + 1
    }
    if (from < chunk.length) add(Buffer.from(chunk.subarray(from)))
  }
  if (length > 0) yield take()
}

/** True when the line holds only ASCII whitespace (or is empty). */
export function isBlank (line: RawLine): boolean {
  if (line.bytes === null) return false
  for (const byte of line.bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) return false
  return true
}
