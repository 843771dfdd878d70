import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { decodeImage, ImageDecodeConfigSchema } from '../../src/images/index.js'
import { fixture } from '../../bench/support/images.js'
import { corruptJpeg, pngBomb } from './helpers.js'

const config = ImageDecodeConfigSchema.parse({})

describe('image decoding', () => {
  it('refuses a decompression bomb from its header, quickly and without decoding', async () => {
    const bomb = pngBomb(60_000, 60_000)
    expect(bomb.length < 20_000, `the bomb is tiny on disk (${bomb.length} bytes)`).toBeTruthy()
    const started = Date.now()
    const result = await decodeImage(bomb, config)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.status).toBe('refused_pixels')
      expect(result.reason).toMatch(/60000x60000/)
    }
    expect(Date.now() - started < 1_000).toBeTruthy()
  })

  it('refuses images over a configured pixel limit', async () => {
    const result = await decodeImage(await fixture('dog.jpg'), ImageDecodeConfigSchema.parse({ maxPixels: 100_000 }))
    expect([result.ok, !result.ok && result.status]).toStrictEqual([false, 'refused_pixels'])
  })

  it('reports a corrupt image as a decode error, not a crash', async () => {
    const result = await decodeImage(corruptJpeg(), config)
    expect([result.ok, !result.ok && result.status]).toStrictEqual([false, 'decode_error'])
    const truncated = (await fixture('dog.jpg')).subarray(0, 2_000)
    const partial = await decodeImage(truncated, config)
    expect([partial.ok, !partial.ok && partial.status]).toStrictEqual([false, 'decode_error'])
  })

  it('applies EXIF orientation', async () => {
    // 60 wide, 20 high, tagged "rotate 90° clockwise": it is shown 20 wide, 60 high.
    const raw = Buffer.alloc(60 * 20 * 3, 200)
    const jpeg = await sharp(raw, { raw: { width: 60, height: 20, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const result = await decodeImage(jpeg, config)
    expect(result.ok).toBe(true)
    if (result.ok) expect([result.image.width, result.image.height, result.image.originalWidth, result.image.originalHeight]).toStrictEqual([20, 60, 20, 60])
  })

  it('reduces an animation to its first frame', async () => {
    const red = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#ff0000' } }).png().toBuffer()
    const blue = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#0000ff' } }).png().toBuffer()
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer()
    const meta = await sharp(gif).metadata()
    expect(meta.pages, 'the test image really is animated').toBe(2)
    const result = await decodeImage(gif, config)
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect([result.image.width, result.image.height]).toStrictEqual([32, 24])
      expect((result.image.data[0] as number) > 200 && (result.image.data[2] as number) < 50, 'first frame (red)').toBeTruthy()
    }
  })

  it('keeps at most maxSide pixels per side and flattens transparency onto white', async () => {
    const clear = await sharp({ create: { width: 2_000, height: 1_000, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer()
    const result = await decodeImage(clear, ImageDecodeConfigSchema.parse({ maxSide: 640 }))
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect([result.image.width, result.image.height, result.image.originalWidth]).toStrictEqual([640, 320, 2_000])
      expect(result.image.data.length).toBe(640 * 320 * 3)
      expect(result.image.data[0]).toBe(255)
    }
  })
})

describe('folder fetcher (offline evaluation)', () => {
  it('reads images by the URL\'s file name and never leaves the folder', async () => {
    const { createFolderFetcher } = await import('../../src/images/index.js')
    const { FIXTURES } = await import('../../bench/support/images.js')
    const f = createFolderFetcher(FIXTURES)
    const ok = await f.fetch('http://images.local/dog.jpg')
    expect(ok.ok).toBe(true)
    if (ok.ok) expect(ok.image.format).toBe('jpeg')
    const missing = await f.fetch('http://images.local/none.jpg')
    expect([missing.ok, !missing.ok && missing.status]).toStrictEqual([false, 'fetch_error'])
    for (const evil of ['http://x/..%2F..%2Fpackage.json', 'http://x/%2e%2e', 'http://x/']) {
      const r = await f.fetch(evil)
      expect(r.ok, evil).toBe(false)
    }
    const notImage = await f.fetch('http://x/README.md')
    expect([notImage.ok, !notImage.ok && notImage.status]).toStrictEqual([false, 'refused_type'])
  })
})
