// images.folders: URLs under a mapped prefix are read from a folder (the
// bundled samples), every other URL still goes through the guarded network
// fetcher, and nothing outside the folder can be named.
import { afterAll, describe, expect, it } from 'vitest'
import { createImageFetcher, createRoutedFetcher, ImageFetchConfigSchema, ImagesConfigSchema } from '../../src/images/index.js'
import { FIXTURES } from '../../bench/support/images.js'

const PREFIX = 'https://samples.groundstream.example/images/'

describe('folder routes for image URLs', () => {
  // The real guard, with its defaults: public addresses only.
  const network = createImageFetcher(ImageFetchConfigSchema.parse({ requestTimeoutMs: 2_000 }))
  const fetcher = createRoutedFetcher([{ urlPrefix: PREFIX, folder: FIXTURES }], network)
  afterAll(async () => { await fetcher.destroy() })

  it('reads a mapped URL from the folder', async () => {
    const outcome = await fetcher.fetch(`${PREFIX}dog.jpg`)
    expect(outcome.ok).toBe(true)
    if (outcome.ok) {
      expect(outcome.image.format).toBe('jpeg')
      expect(outcome.image.url).toBe(`${PREFIX}dog.jpg`)
    }
  })

  it('leaves every other URL to the guard, which still refuses internal addresses', async () => {
    for (const url of ['http://127.0.0.1/dog.jpg', 'http://192.168.1.20/dog.jpg', 'https://samples.groundstream.example.evil/images/dog.jpg']) {
      const outcome = await fetcher.fetch(url)
      expect(outcome.ok, url).toBe(false)
      if (!outcome.ok && url.includes('192.168')) expect(outcome.status).toBe('refused_address')
    }
    const local = await fetcher.fetch('http://127.0.0.1/dog.jpg')
    expect(local.ok ? 'ok' : local.status).toBe('refused_address')
  })

  it('refuses names that would leave the folder or go below it', async () => {
    for (const url of [`${PREFIX}..%2Fperson.jpg`, `${PREFIX}sub/dog.jpg`, `${PREFIX}%2e%2e`, `${PREFIX}`]) {
      const outcome = await fetcher.fetch(url)
      expect(outcome.ok, url).toBe(false)
    }
    const missing = await fetcher.fetch(`${PREFIX}no-such.jpg`)
    expect(missing.ok ? 'ok' : missing.status).toBe('fetch_error')
  })

  it('without mappings the guarded fetcher is used as is', () => {
    expect(createRoutedFetcher([], network)).toBe(network)
  })

  it('config: a prefix must be an http(s) URL ending in /', () => {
    expect(ImagesConfigSchema.safeParse({ folders: [{ urlPrefix: PREFIX, folder: FIXTURES }] }).success).toBe(true)
    for (const urlPrefix of ['https://samples.groundstream.example/images', 'file:///etc/', 'not a url']) {
      expect(ImagesConfigSchema.safeParse({ folders: [{ urlPrefix, folder: FIXTURES }] }).success, urlPrefix).toBe(false)
    }
    expect(ImagesConfigSchema.parse({}).folders).toStrictEqual([])
  })
})
