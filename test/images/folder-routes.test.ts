// images.folders: URLs under a mapped prefix are read from a folder (the
// bundled samples), every other URL still goes through the guarded network
// fetcher, and nothing outside the folder can be named.
import assert from 'node:assert/strict'
import { afterAll, describe, it } from 'vitest'
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
    assert.equal(outcome.ok, true)
    if (outcome.ok) {
      assert.equal(outcome.image.format, 'jpeg')
      assert.equal(outcome.image.url, `${PREFIX}dog.jpg`)
    }
  })

  it('leaves every other URL to the guard, which still refuses internal addresses', async () => {
    for (const url of ['http://127.0.0.1/dog.jpg', 'http://192.168.1.20/dog.jpg', 'https://samples.groundstream.example.evil/images/dog.jpg']) {
      const outcome = await fetcher.fetch(url)
      assert.equal(outcome.ok, false, url)
      if (!outcome.ok && url.includes('192.168')) assert.equal(outcome.status, 'refused_address')
    }
    const local = await fetcher.fetch('http://127.0.0.1/dog.jpg')
    assert.equal(local.ok ? 'ok' : local.status, 'refused_address')
  })

  it('refuses names that would leave the folder or go below it', async () => {
    for (const url of [`${PREFIX}..%2Fperson.jpg`, `${PREFIX}sub/dog.jpg`, `${PREFIX}%2e%2e`, `${PREFIX}`]) {
      const outcome = await fetcher.fetch(url)
      assert.equal(outcome.ok, false, url)
    }
    const missing = await fetcher.fetch(`${PREFIX}no-such.jpg`)
    assert.equal(missing.ok ? 'ok' : missing.status, 'fetch_error')
  })

  it('without mappings the guarded fetcher is used as is', () => {
    assert.equal(createRoutedFetcher([], network), network)
  })

  it('config: a prefix must be an http(s) URL ending in /', () => {
    assert.equal(ImagesConfigSchema.safeParse({ folders: [{ urlPrefix: PREFIX, folder: FIXTURES }] }).success, true)
    for (const urlPrefix of ['https://samples.groundstream.example/images', 'file:///etc/', 'not a url']) {
      assert.equal(ImagesConfigSchema.safeParse({ folders: [{ urlPrefix, folder: FIXTURES }] }).success, false, urlPrefix)
    }
    assert.deepEqual(ImagesConfigSchema.parse({}).folders, [])
  })
})
