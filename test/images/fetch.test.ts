import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LookupAddress } from 'node:dns'
import { createImageFetcher, ImageFetchConfigSchema, type ImageFetcher, type Resolver } from '../../src/images/index.js'
import { fixture, serveBytes, startServer, type TestServer } from '../../bench/support/images.js'

// Every request here goes to this machine's loopback. The guard allows
// exactly 127.0.0.1; other loopback addresses (127.0.0.2, ::1) stand in for
// forbidden targets, so a broken guard could never reach another host.
const allowLocal = { allowCidrs: ['127.0.0.1/32'] }

function fetcher (overrides: Record<string, unknown> = {}, resolver?: Resolver): ImageFetcher {
  return createImageFetcher(ImageFetchConfigSchema.parse({ ...allowLocal, requestTimeoutMs: 2_000, ...overrides }), resolver ? { resolver } : {})
}

describe('image fetcher', () => {
  let server: TestServer
  let png: Buffer
  const open: ImageFetcher[] = []
  const make = (overrides: Record<string, unknown> = {}, resolver?: Resolver): ImageFetcher => {
    const f = fetcher(overrides, resolver)
    open.push(f)
    return f
  }

  beforeAll(async () => {
    server = await startServer()
    png = await fixture('dog.jpg')
    server.route('/dog.jpg', serveBytes(png, 'image/jpeg'))
    server.route('/no-type.jpg', (_req, res) => { res.end(png) })
    server.route('/html', serveBytes(Buffer.from('<html>hi</html>'), 'text/html'))
    server.route('/svg', serveBytes(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'))
    server.route('/lying.png', serveBytes(Buffer.from('<html>not an image</html>'), 'image/png'))
    server.route('/big', serveBytes(Buffer.alloc(300_000, 0xff), 'image/jpeg'))
    server.route('/big-chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' })
      const chunk = Buffer.alloc(16_384, 0xff)
      let sent = 0
      const timer = setInterval(() => {
        if (sent >= 40 || res.destroyed) { clearInterval(timer); res.end(); return }
        res.write(chunk)
        sent++
      }, 1)
    })
    server.route('/slow-headers', (_req, res) => { setTimeout(() => { if (!res.destroyed) serveBytes(png, 'image/jpeg')(_req, res) }, 5_000).unref() })
    server.route('/slow-body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' })
      res.write(png.subarray(0, 10))
      const timer = setInterval(() => { if (res.destroyed) clearInterval(timer); else res.write(Buffer.from([0])) }, 200)
      timer.unref()
    })
    server.route('/404', (_req, res) => { res.statusCode = 404; res.end() })
    for (let i = 0; i < 6; i++) server.route(`/hop${i}`, (_req, res) => { res.writeHead(302, { location: i === 5 ? '/dog.jpg' : `/hop${i + 1}` }); res.end() })
    server.route('/to-loopback2', (_req, res) => { res.writeHead(302, { location: `http://127.0.0.2:${server.port}/dog.jpg` }); res.end() })
    server.route('/to-v6-loopback', (_req, res) => { res.writeHead(301, { location: `http://[::1]:${server.port}/dog.jpg` }); res.end() })
    server.route('/to-decimal', (_req, res) => { res.writeHead(307, { location: `http://2130706434:${server.port}/dog.jpg` }); res.end() })
    server.route('/to-file', (_req, res) => { res.writeHead(302, { location: 'file:///etc/passwd' }); res.end() })
    server.route('/to-localhost', (_req, res) => { res.writeHead(302, { location: `http://localhost:${server.port}/dog.jpg` }); res.end() })
    server.route('/to-name', (_req, res) => { res.writeHead(302, { location: `http://rebind.test:${server.port}/dog.jpg` }); res.end() })
  })

  afterAll(async () => {
    await Promise.all(open.map(async (f) => { await f.destroy() }))
    await server.close()
  })

  it('fetches an allowed image and checks its magic bytes', async () => {
    const result = await make().fetch(server.url('/dog.jpg'))
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(result.image.format).toBe('jpeg')
      expect(result.image.bytes.length).toBe(png.length)
    }
    const untyped = await make().fetch(server.url('/no-type.jpg'))
    expect(untyped.ok, 'a missing content-type is judged by the bytes').toBe(true)
  })

  it('refuses loopback when the operator has not allowed it', async () => {
    const strict = createImageFetcher(ImageFetchConfigSchema.parse({}))
    open.push(strict)
    const before = server.hits.get('/dog.jpg') ?? 0
    const result = await strict.fetch(server.url('/dog.jpg'))
    expect([result.ok, !result.ok && result.status]).toStrictEqual([false, 'refused_address'])
    expect(server.hits.get('/dog.jpg') ?? 0, 'no request reached the server').toBe(before)
  })

  it('refuses every forbidden redirect target, checked per hop', async () => {
    const f = make()
    for (const [route, status] of [['/to-loopback2', 'refused_address'], ['/to-v6-loopback', 'refused_address'], ['/to-decimal', 'refused_address'], ['/to-file', 'refused_scheme'], ['/to-localhost', 'refused_address']] as const) {
      const before = server.hits.get('/dog.jpg') ?? 0
      const result = await f.fetch(server.url(route))
      expect(result.ok, route).toBe(false)
      if (!result.ok) {
        expect(result.status, route).toBe(status)
        expect(result.reason, route).toMatch(/^redirect 1:/)
      }
      expect(server.hits.get('/dog.jpg') ?? 0, `${route}: the forbidden target was never requested`).toBe(before)
    }
  })

  it('checks resolved addresses at connect time (no DNS-rebinding window)', async () => {
    const answers: Record<string, LookupAddress[]> = {
      'good.test': [{ address: '127.0.0.1', family: 4 }],
      'rebind.test': [{ address: '127.0.0.2', family: 4 }],
      'mixed.test': [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
      'mapped.test': [{ address: '::ffff:127.0.0.3', family: 6 }]
    }
    const asked: string[] = []
    const resolver: Resolver = async (host) => {
      asked.push(host)
      const found = answers[host]
      if (!found) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      return found
    }
    const f = make({}, resolver)
    const good = await f.fetch(`http://good.test:${server.port}/dog.jpg`)
    expect(good.ok, 'a name resolving to an allowed address is fetched through the guarded lookup').toBe(true)
    expect(asked.includes('good.test')).toBeTruthy()
    for (const host of ['rebind.test', 'mixed.test', 'mapped.test']) {
      const result = await f.fetch(`http://${host}:${server.port}/dog.jpg`)
      expect(result.ok, host).toBe(false)
      if (!result.ok) {
        expect(result.status, host).toBe('refused_address')
        expect(result.reason, host).toMatch(/forbidden address/)
      }
    }
    const redirected = await f.fetch(server.url('/to-name'))
    expect([redirected.ok, !redirected.ok && redirected.status], 'a redirect to a name that resolves to a forbidden address').toStrictEqual([false, 'refused_address'])
    // The same lookup guards TLS connections.
    const tls = await f.fetch(`https://rebind.test:${server.port}/dog.jpg`)
    expect([tls.ok, !tls.ok && tls.status], 'https to a forbidden address').toStrictEqual([false, 'refused_address'])
    const missing = await f.fetch(`http://nowhere.test:${server.port}/dog.jpg`)
    expect([missing.ok, !missing.ok && missing.status]).toStrictEqual([false, 'fetch_error'])
  })

  it('enforces the redirect limit', async () => {
    const ok = await make({ maxRedirects: 6 }).fetch(server.url('/hop0'))
    expect(ok.ok).toBe(true)
    if (ok.ok) expect(ok.image.redirects).toBe(6)
    const result = await make({ maxRedirects: 3 }).fetch(server.url('/hop0'))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.status).toBe('fetch_error')
      expect(result.reason).toMatch(/more than 3 redirects/)
    }
  })

  it('enforces the size limit by header and mid-stream', async () => {
    const f = make({ maxBytes: 100_000 })
    for (const route of ['/big', '/big-chunked']) {
      const result = await f.fetch(server.url(route))
      expect([result.ok, !result.ok && result.status], route).toStrictEqual([false, 'refused_size'])
    }
  })

  it('enforces the time limit on slow headers and slow bodies', async () => {
    const f = make({ requestTimeoutMs: 300 })
    for (const route of ['/slow-headers', '/slow-body']) {
      const started = Date.now()
      const result = await f.fetch(server.url(route))
      expect([result.ok, !result.ok && result.status], route).toStrictEqual([false, 'timeout'])
      expect(Date.now() - started < 2_000, `${route} gave up in time`).toBeTruthy()
    }
  })

  it('refuses non-image content types and bytes that are not an image', async () => {
    const f = make()
    for (const route of ['/html', '/svg', '/lying.png']) {
      const result = await f.fetch(server.url(route))
      expect([result.ok, !result.ok && result.status], route).toStrictEqual([false, 'refused_type'])
    }
    const notFound = await f.fetch(server.url('/404'))
    expect([notFound.ok, !notFound.ok && notFound.status]).toStrictEqual([false, 'fetch_error'])
  })

  it('honours the caller signal (the per-post budget)', async () => {
    const signal = AbortSignal.timeout(150)
    const result = await make({ requestTimeoutMs: 10_000 }).fetch(server.url('/slow-headers'), signal)
    expect([result.ok, !result.ok && result.status]).toStrictEqual([false, 'timeout'])
  })
})
