// The API's cursor (src/api/cursor.ts): what it encodes comes back as it was,
// and anything it did not hand out, or handed out for another list, is a
// GS_ERR_API_INVALID naming the cursor.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { decodeCursor, encodeCursor } from '../../src/api/cursor.js'
import { GroundstreamError } from '../../src/errors/index.js'

const invalidCursor = (error: unknown): boolean => error instanceof GroundstreamError && error.code === 'GS_ERR_API_INVALID' && /cursor/.test(error.message)

test('a cursor round-trips its sort key and is URL-safe', () => {
  const posts = encodeCursor('posts', [1768046100000, 'p05'])
  expect(posts).toMatch(/^[A-Za-z0-9_-]+$/)
  expect(decodeCursor(posts, 'posts')).toStrictEqual([1768046100000, 'p05'])
  const relevance = encodeCursor('relevance', [2.5, 1768046100000, 'doc-1'])
  expect(decodeCursor(relevance, 'relevance')).toStrictEqual([2.5, 1768046100000, 'doc-1'])
})

test('a bad cursor is a 400 naming the cursor', () => {
  const posts = encodeCursor('posts', [1768046100000, 'p05'])
  const forged = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const cases = [
    'not-a-cursor',
    '',
    posts.slice(0, -3),
    forged({ s: 'posts', v: [1768046100000] }),
    forged({ s: 'posts', v: ['1768046100000', 'p05'] }),
    forged({ s: 'posts', v: [1e300, 'p05'] }),
    forged({ s: 'posts', v: [1, 'x'.repeat(300)] }),
    forged({ s: 'posts', v: [1, 'p05'], extra: true }),
    forged([1, 'p05'])
  ]
  for (const token of cases) assert.throws(() => decodeCursor(token, 'posts'), invalidCursor, token)
  assert.throws(() => decodeCursor(posts, 'recent'), (error: unknown) => invalidCursor(error) && /sort=recent/.test((error as Error).message))
  expect(() => encodeCursor('posts', ['later', 'p05']), 'a key that would not decode is never handed out').toThrow()
})
