// Every answer that is not a success has the project's shape,
// {"error":{"code":"GS_ERR_…","message":…}}, with no backend internals, even
// when the request fails before it reaches a route (over-long URL, bad
// percent-encoding, bytes that are not UTF-8, 431); and the date fixes: a
// plain date is that UTC day, from after to is a 400.
import { expect, test } from 'vitest'
import { connect } from 'node:net'
import { backendHarness } from './harness.js'

const need = backendHarness('elasticsearch')

/** Sends raw bytes as the request head; returns the status and the parsed JSON body. */
async function raw (base: string, head: Buffer): Promise<{ status: number, body: unknown, text: string }> {
  const { hostname, port } = new URL(base)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.end(head) })
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => { chunks.push(chunk) })
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/u.exec(text)?.[1] ?? 0)
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4)
      let body: unknown = null
      try { body = JSON.parse(bodyText) } catch { body = null }
      resolve({ status, body, text })
    })
  })
}

const request = (target: Buffer | string, extra = ''): Buffer => Buffer.concat([
  Buffer.from('GET '), Buffer.isBuffer(target) ? target : Buffer.from(target), Buffer.from(` HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`)
])

test('errors raised before routing come back in our shape', async (t) => {
  const h = need(t)
  if (h === null) return
  const cases: Array<[string, Buffer, number, string]> = [
    ['60 KB URL', request(`/api/v1/mentions?q=${'x'.repeat(60_000)}`), 431, 'GS_ERR_API_INVALID'],
    ['headers too large', request('/api/v1/mentions', `X-Big: ${'y'.repeat(40_000)}\r\n`), 431, 'GS_ERR_API_INVALID'],
    ['bad percent-encoding in the path', request('/api/v1/mentions%zz'), 400, 'GS_ERR_API_INVALID'],
    ['bad percent-encoding in the query', request('/api/v1/mentions?q=%E0%A4%A'), 400, 'GS_ERR_API_INVALID'],
    ['request line not UTF-8', request(Buffer.from([0x2f, 0x61, 0x70, 0x69, 0xff, 0xfe, 0xc3])), 400, 'GS_ERR_API_INVALID'],
    ['unknown route', request('/nothing/here'), 404, 'GS_ERR_NOT_FOUND']
  ]
  for (const [what, head, status, code] of cases) {
    const answer = await raw(h.server.url, head)
    expect(answer.status, `${what}: ${answer.text.slice(0, 200)}`).toBe(status)
    const error = (answer.body as { error?: { code?: unknown, message?: unknown } } | null)?.error
    expect(error?.code, `${what}: ${answer.text.slice(0, 300)}`).toBe(code)
    expect(typeof error?.message, what).toBe('string')
  }
})

test('a forged cursor is a 400 with our code and no Elasticsearch internals', async (t) => {
  const h = need(t)
  if (h === null) return
  const forged = [
    { s: 'score', v: ['high', 'x', 'y'] },
    { s: 'recent', v: ['yesterday', 'id'] },
    { s: 'recent', v: [1e300, 7] },
    { s: 'relevance', v: [0.5, 'x', 'y'] }
  ]
  for (const cursor of forged) {
    const token = Buffer.from(JSON.stringify(cursor)).toString('base64url')
    const q = cursor.s === 'relevance' ? '&q=paris' : ''
    const { status, body } = await h.get(`/api/v1/mentions?sort=${cursor.s}&cursor=${token}${q}`)
    expect(status, JSON.stringify(cursor)).toBe(400)
    const text = JSON.stringify(body)
    expect((body.error as { code: string }).code).toBe('GS_ERR_API_INVALID')
    expect(text, text).not.toMatch(/exception|search_after value|\[entity\.|Elasticsearch/iu)
  }
})

test('dates: a plain date is that UTC day; from later than to is a 400', async (t) => {
  const h = need(t)
  if (h === null) return
  const day = await h.get('/api/v1/mentions?from=2026-01-10&to=2026-01-10&size=100')
  expect(day.status, JSON.stringify(day.body)).toBe(200)
  const explicit = await h.get('/api/v1/mentions?from=2026-01-10T00:00:00Z&to=2026-01-11T00:00:00Z&size=100')
  expect(day.body.total, 'to=2026-01-10 covers the whole day').toStrictEqual(explicit.body.total)
  expect((day.body.total as { value: number }).value > 0, 'the fixture has posts that day').toBeTruthy()
  const reversed = await h.get('/api/v1/mentions?from=2026-11-30T10:00:00Z&to=2026-11-29T10:00:00Z')
  expect(reversed.status).toBe(400)
  expect((reversed.body.error as { code: string }).code).toBe('GS_ERR_API_INVALID')
  expect(JSON.stringify(reversed.body)).toMatch(/from must be before to/)
  const bad = await h.get('/api/v1/mentions?from=2026-02-30')
  expect(bad.status).toBe(400)
  for (const path of ['/api/v1/posts?from=2026-12-02&to=2026-12-01', '/api/v1/timeline?from=2026-12-02&to=2026-12-01']) {
    const answer = await h.get(path)
    expect(answer.status, path).toBe(400)
  }
})
