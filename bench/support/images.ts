// What the image benchmark and the image tests share: a local HTTP server with
// scripted routes, rendered images (text, a shop sign beside a person), the
// fixture images and a config that lets the guard reach the local server.
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import sharp from 'sharp'
import { ImagesConfigSchema, type ImagesConfig } from '../../src/images/index.js'
// install.ts directly, not the service's index: helpers need no service.
import { INSTALL_ROOT as ROOT } from '../../src/service/install.js'

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'images')

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

export interface TestServer {
  url (p: string): string
  port: number
  hits: Map<string, number>
  route (p: string, handler: Handler): void
  close (): Promise<void>
}

export async function startServer (): Promise<TestServer> {
  const routes = new Map<string, Handler>()
  const hits = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0] as string
    hits.set(p, (hits.get(p) ?? 0) + 1)
    const handler = routes.get(p)
    if (!handler) {
      res.statusCode = 404
      res.end('not found')
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    hits,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    route: (p, handler) => { routes.set(p, handler) },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

export function serveBytes (bytes: Buffer, type: string): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': bytes.length })
    res.end(bytes)
  }
}

/** Config for tests: the guard allows exactly 127.0.0.1, so other loopback addresses stay forbidden. */
export function testConfig (overrides: Record<string, unknown> = {}): ImagesConfig {
  const base = {
    perPostBudgetMs: 20_000,
    fetch: { allowCidrs: ['127.0.0.1/32'], requestTimeoutMs: 3_000 },
    detector: { modelDir: path.join(ROOT, 'models', 'detector') },
    ocr: { modelDir: path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets') },
    embedder: { modelDir: path.join(ROOT, 'models', 'embedder') }
  }
  return ImagesConfigSchema.parse(deepMerge(base, overrides))
}

function deepMerge (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && prev !== null && typeof prev === 'object' && !Array.isArray(prev)
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Dark words on a light background, one line per entry. */
export async function renderText (lines: readonly string[], width = 720, lineHeight = 90): Promise<Buffer> {
  const height = lineHeight * lines.length + 60
  const texts = lines.map((line, i) => `<text x="40" y="${70 + i * lineHeight}" font-family="DejaVu Sans, sans-serif" font-size="52" fill="#161616">${escapeXml(line)}</text>`).join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f5f2e8"/>${texts}</svg>`
  return await sharp(Buffer.from(svg)).png().toBuffer()
}

/**
 * A shop sign with a brand name on the right of a real photo (person.jpg), so
 * the image holds both a person and the brand's text. Returns the image and the
 * sign's normalised box.
 */
export async function renderSignScene (brand: string): Promise<{ bytes: Buffer, sign: { x: number, y: number, w: number, h: number } }> {
  const photo = await sharp(path.join(FIXTURES, 'person.jpg')).resize({ width: 416, height: 276, fit: 'fill' }).toBuffer()
  const width = 416 + 360
  const height = 276
  const sign = { left: 436, top: 90, width: 320, height: 96 }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#8a8f96"/>
    <rect x="${sign.left}" y="${sign.top}" width="${sign.width}" height="${sign.height}" rx="8" fill="#0b5d3b"/>
    <text x="${sign.left + 22}" y="${sign.top + 66}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="50" fill="#ffffff">${escapeXml(brand)}</text>
  </svg>`
  const bytes = await sharp(Buffer.from(svg)).composite([{ input: photo, left: 0, top: 0 }]).jpeg({ quality: 90 }).toBuffer()
  return { bytes, sign: { x: sign.left / width, y: sign.top / height, w: sign.width / width, h: sign.height / height } }
}

/** The lines of renderScreenshot(), top to bottom. */
export const SCREENSHOT_LINES: readonly string[] = Object.freeze([
  'Just landed in Barcelona for the summit', 'with @EU_Commission and friends.', 'Thanks to everyone at the Mobile',
  'World Congress 2026 for having us!', 'Next stop: Madrid, then Lisbon.', '#MWC26 #5G', 'Photo: Reuters',
  'Read more at example.com/news', 'OPEN 24 HOURS', 'Starbucks Coffee', 'Nike Air Max', 'Real Madrid vs FC Barcelona',
  'Champions League Final', 'Tickets on sale now', 'Gate 7', 'Row 12 Seat 34', 'Adidas', 'Coca-Cola', 'Samsung Galaxy',
  'Apple Store', 'Louvre Museum', 'Eiffel Tower', 'Tour de France'
])

/**
 * A text-heavy image, like a screenshot of a post or an article: 23 lines of
 * 26 px text of varied length on white, 960 x 980 (the longest side OCR
 * looks at). More lines than stage 2 has text slots.
 */
export async function renderScreenshot (): Promise<Buffer> {
  const lineHeight = 40
  const height = SCREENSHOT_LINES.length * lineHeight + 60
  const texts = SCREENSHOT_LINES.map((line, i) => `<text x="30" y="${50 + i * lineHeight}" font-family="DejaVu Sans, sans-serif" font-size="26" fill="#111111">${escapeXml(line)}</text>`).join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/>${texts}</svg>`
  return await sharp(Buffer.from(svg)).png().toBuffer()
}

export async function fixture (name: string): Promise<Buffer> {
  return await readFile(path.join(FIXTURES, name))
}

export async function rgbOf (bytes: Buffer): Promise<{ data: Uint8Array, width: number, height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height }
}
