// Validation at the edge: raw record bytes -> a PostWork item, or a dead
// letter saying exactly why not. Nothing here throws for bad input.
import { newPostWork, parsePost } from '../contracts/index.js'
import type { DeadLetter, PostWork, SourceCoordinates } from '../pipeline/index.js'

export type DecodeResult =
  | { ok: true, work: PostWork }
  | { ok: false, deadLetter: DeadLetter }

const utf8 = new TextDecoder('utf-8', { fatal: true })

export { newPostWork } from '../contracts/index.js'

export function decodeRecord (
  value: Buffer | null,
  key: Buffer | string | null,
  source: SourceCoordinates,
  maxRecordBytes: number
): DecodeResult {
  const reject = (reason: DeadLetter['reason'], detail: string, postId?: string): DecodeResult => ({
    ok: false,
    deadLetter: { reason, detail, source, key, value, ...(postId === undefined ? {} : { postId }) }
  })
  const size = (value?.length ?? 0) + (key === null ? 0 : Buffer.byteLength(key))
  if (size > maxRecordBytes) return reject('oversized', `record is ${size} bytes, limit ${maxRecordBytes}`)
  if (value === null || value.length === 0) return reject('schema_violation', 'record has no value')
  let text: string
  try {
    text = utf8.decode(value)
  } catch (error) {
    return reject('invalid_encoding', `value is not UTF-8: ${error instanceof Error ? error.message : String(error)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return reject('invalid_json', error instanceof Error ? error.message : String(error))
  }
  const parsed = parsePost(json)
  if (!parsed.ok) {
    const id = typeof json === 'object' && json !== null && typeof (json as { id?: unknown }).id === 'string'
      ? (json as { id: string }).id
      : undefined
    return reject('schema_violation', parsed.reason, id)
  }
  return { ok: true, work: newPostWork(parsed.post, source) }
}
