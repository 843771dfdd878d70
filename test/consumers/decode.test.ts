import { expect, test } from 'vitest'
import { decodeRecord } from '../../src/consumers/index.js'
import { NO_IMAGE } from '../../src/contracts/index.js'
import { makePost } from '../pipeline/fakes.js'

const source = { topic: 'posts', partition: 3, offset: '42' }

test('a valid post becomes a fresh PostWork carrying its coordinates', () => {
  const result = decodeRecord(Buffer.from(JSON.stringify(makePost(1))), 'k', source, 10_000)
  expect(result.ok).toBe(true)
  if (!result.ok) return
  expect(result.work.post.id).toBe('post-00001')
  expect(result.work.post.image_urls, 'defaults applied by the schema').toStrictEqual([])
  expect(result.work.source).toStrictEqual(source)
  expect(result.work.image).toBe(NO_IMAGE)
  expect([result.work.candidates, result.work.entities, result.work.timings]).toStrictEqual([[], [], {}])
})

test('each kind of poison gets its own reason, with the record and coordinates kept', () => {
  const cases: Array<[Buffer | null, string, RegExp]> = [
    [Buffer.from('{"id": "x", "text": '), 'invalid_json', /JSON/],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding', /UTF-8/],
    [Buffer.from(JSON.stringify({ ...makePost(2), text: 42 })), 'schema_violation', /^text: /],
    [Buffer.from(JSON.stringify({ ...makePost(3), extra: 1 })), 'schema_violation', /extra/],
    [Buffer.from(JSON.stringify({ ...makePost(4), created_at: 'yesterday' })), 'schema_violation', /created_at/],
    [Buffer.from('[1,2,3]'), 'schema_violation', /\(root\)/],
    [null, 'schema_violation', /no value/],
    [Buffer.alloc(20_000, 0x20), 'oversized', /20000 bytes, limit 10000/]
  ]
  for (const [value, reason, detail] of cases) {
    const result = decodeRecord(value, null, source, 10_000)
    expect(result.ok).toBe(false)
    if (result.ok) continue
    expect(result.deadLetter.reason, `${String(value?.subarray(0, 30))}`).toBe(reason)
    expect(result.deadLetter.detail).toMatch(detail)
    expect(result.deadLetter.source).toStrictEqual(source)
    expect(result.deadLetter.value).toBe(value)
  }
})

test('a schema violation keeps the post id when there is one', () => {
  const result = decodeRecord(Buffer.from(JSON.stringify({ ...makePost(5), text: 1 })), null, source, 10_000)
  expect(!result.ok && result.deadLetter.postId).toBe('post-00005')
})
