// Every response carries the security headers (issue 30): nosniff, a
// referrer policy and the viewer's CSP, on every registered route, on JSON
// errors (400, 404) and on the answers the HTTP parser gives before routing.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { connect } from 'node:net'
import { readdirSync } from 'node:fs'
import { startEmbeddedHarness, type Harness } from './harness.js'
import { repoPath } from '../support/paths.js'

let harness: Harness

beforeAll(async () => {
  harness = await startEmbeddedHarness()
})

afterAll(async () => {
  await harness.close()
})

function checkHeaders (headers: Headers, what: string): void {
  expect(headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(headers.get('referrer-policy'), what).toBe('no-referrer')
  expect(headers.get('content-security-policy') ?? '', what).toMatch(/default-src 'self'.*frame-ancestors 'none'/u)
}

/** A concrete path for a route pattern: a real static file, a fixture image. */
function concrete (pattern: string): string {
  if (pattern === '/static/:name') return '/static/app.js'
  if (pattern === '/media/:name') return '/media/storefront.png'
  return pattern
}

test('every route, and the errors, carry nosniff, the referrer policy and the CSP', async () => {
  const routes = harness.server.routes.filter((route) => route.startsWith('GET '))
  expect(routes.length >= 12, `expected the API, static and media routes, got ${routes.join(', ')}`).toBeTruthy()
  for (const route of routes) {
    const pattern = route.slice(4)
    const path = concrete(pattern)
    const response = await fetch(`${harness.server.url}${path}`)
    await response.arrayBuffer()
    expect(response.status < 500, `${path}: ${response.status}`).toBeTruthy() // some API routes want parameters: a 400 still carries the headers
    checkHeaders(response.headers, path)
  }
  for (const path of ['/no/such/route', '/api/v1/mentions?limit=not-a-number', '/static/not-a-file.js']) {
    const response = await fetch(`${harness.server.url}${path}`)
    expect(response.status === 400 || response.status === 404, `${path}: ${response.status}`).toBeTruthy()
    checkHeaders(response.headers, path)
  }
  expect(readdirSync(repoPath('public')).includes('app.js'), 'the static file the walk asks for').toBeTruthy()
})

test('an answer from the HTTP parser (headers too large) carries them too', async () => {
  const { hostname, port } = new URL(harness.server.url)
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { text += chunk })
    socket.on('end', () => { resolve(text) })
    socket.on('error', reject)
    socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`)
  })
  expect(raw).toMatch(/^HTTP\/1\.1 431/u)
  expect(raw).toMatch(/x-content-type-options: nosniff/iu)
  expect(raw).toMatch(/referrer-policy: no-referrer/iu)
  expect(raw).toMatch(/content-security-policy: default-src 'self'/iu)
})
