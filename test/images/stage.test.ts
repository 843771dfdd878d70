import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NO_IMAGE, type Candidate, type Post } from '../../src/contracts/index.js'
import { Pipeline, type PostWork } from '../../src/pipeline/index.js'
import { createImageStage, type ImageDoneEvent, type ImageFetcher, type ImageStage } from '../../src/images/index.js'
import { chooseRegion } from '../../src/grounding/index.js'
import { fixture, renderSignScene, serveBytes, startServer, testConfig, type TestServer } from '../../bench/support/images.js'
import { corruptJpeg, pngBomb } from './helpers.js'
import { MemoryDeadLetters, MemorySink, fakeStages, makeWork } from '../pipeline/fakes.js'

function work (id: string, text: string, imageUrls: string[], candidateTexts: string[]): PostWork {
  const post: Post = { id, text, created_at: '2026-11-21T08:00:00Z', image_urls: imageUrls }
  const candidates: Candidate[] = candidateTexts.map((t) => {
    const start = text.indexOf(t)
    return { postId: id, text: t, start, end: start + t.length, wordStart: 0, wordEnd: 1, score: 0.9 }
  })
  return { post, source: { topic: 't', partition: 0, offset: '0' }, candidates: candidates.map((candidate) => ({ candidate, knowledge: null })), image: NO_IMAGE, entities: [], timings: {} }
}

/** The image stage's per-candidate orders and similarities, as columns (only candidates it filled). */
function regionOrder (work: PostWork): number[][] {
  return work.candidates.flatMap((record) => record.regions === undefined ? [] : [record.regions.map((region) => region.index)])
}
/** Per candidate with similarities: its similarity to each region, aligned with `image.regions`. */
function regionSimilarity (work: PostWork): number[][] {
  return work.candidates.flatMap((record) => {
    if (record.regions === undefined || record.regions.every((region) => region.similarity === null)) return []
    const row: number[] = []
    for (const region of record.regions) row[region.index] = region.similarity ?? 0
    return [row]
  })
}

describe('image stage (worker pool, real models, loopback server)', () => {
  let server: TestServer
  let stage: ImageStage
  const events: ImageDoneEvent[] = []

  beforeAll(async () => {
    server = await startServer()
    const scene = await renderSignScene('STARBUCKS')
    server.route('/scene.jpg', serveBytes(scene.bytes, 'image/jpeg'))
    server.route('/dog.jpg', serveBytes(await fixture('dog.jpg'), 'image/jpeg'))
    server.route('/bomb.png', serveBytes(pngBomb(), 'image/png'))
    server.route('/corrupt.jpg', serveBytes(corruptJpeg(), 'image/jpeg'))
    server.route('/hang.jpg', () => { /* never answers: the budget must cut it */ })
    // workerBatch 3: the worker takes several images at once, so batching is exercised.
    // The analysis cache is off here so every post really runs the models (the cache has its own tests below).
    stage = createImageStage(testConfig({ perPostBudgetMs: 4_000, workerBatch: 3, fetch: { requestTimeoutMs: 10_000 }, cache: { enabled: false } }), { onImage: (e) => events.push(e) })
    await stage.init()
  })

  afterAll(async () => {
    await stage.close()
    await stage.close()
    await server.close()
  })

  it('fills the image context, region order and similarity, and stage 2 can ground with them', async () => {
    const item = work('p1', 'Coffee with Obama at Starbucks', [server.url('/scene.jpg')], ['Obama', 'Starbucks'])
    const [out] = await stage.run([item])
    assert.ok(out)
    expect(out.image.status).toBe('ok')
    expect(out.image.url).toBe(server.url('/scene.jpg'))
    expect([out.image.width, out.image.height]).toStrictEqual([776, 276])
    expect(out.image.description).toMatch(/person/)
    expect(out.image.description).toMatch(/STARBUCKS/)
    expect(out.image.regions.length > 0 && out.image.regions.length <= 18).toBeTruthy()
    expect(regionOrder(out).length).toBe(2)
    expect(regionSimilarity(out).length).toBe(2)
    const sign = out.image.regions.findIndex((r) => r.text?.includes('STARBUCKS'))
    expect(regionOrder(out)[1]?.[0], 'the sign comes first in the Starbucks prompt').toBe(sign)
    // What stage 2 does: regions in prompt order, grounder on top.
    const order = regionOrder(out)[1]!
    const regions = order.map((i) => out.image.regions[i]!)
    const g = chooseRegion({ entityText: 'Starbucks', type: 'ORG', knowledge: null, regions, objScores: regions.map(() => 0), similarity: order.map((i) => regionSimilarity(out)[1]![i]!) })
    expect(g?.label).toBe('text:STARBUCKS')
  })

  it('keeps inference off the event loop', async () => {
    // A 10 ms ticker keeps ticking while workers run the models. Were detector
    // and OCR (over 100 ms per image) on this thread, most ticks would be lost.
    // Counting ticks, not the worst gap, keeps a lone GC pause from failing it.
    const items = [0, 1, 2].map((i) => work(`e${i}`, 'Coffee with Obama at Starbucks', [server.url('/scene.jpg')], ['Obama', 'Starbucks']))
    let ticks = 0
    const ticker = setInterval(() => { ticks++ }, 10)
    const started = performance.now()
    const out = await stage.run(items)
    const elapsed = performance.now() - started
    clearInterval(ticker)
    expect(out.every((w) => w.image.status === 'ok')).toBeTruthy()
    expect(ticks >= 0.5 * (elapsed / 10), `${ticks} ticks in ${elapsed.toFixed(0)} ms`).toBeTruthy()
  })

  it('keeps each image\'s analysis with its own post when a worker takes several at once', async () => {
    const urls = ['/dog.jpg', '/scene.jpg', '/dog.jpg', '/scene.jpg', '/dog.jpg']
    const out = await stage.run(urls.map((u, i) => work(`m${i}`, 'Rex and Starbucks', [server.url(u)], ['Rex', 'Starbucks'])))
    out.forEach((w, i) => {
      expect(w.image.status).toBe('ok')
      if (urls[i] === '/dog.jpg') {
        expect(w.image.regions.some((r) => r.label === 'dog'), `post ${i}`).toBeTruthy()
        expect(w.image.width).toBe(416)
      } else {
        expect(w.image.description, `post ${i}`).toMatch(/STARBUCKS/)
        expect(w.image.width).toBe(776)
      }
    })
  })

  it('skips posts without an image or without candidates entirely', async () => {
    const before = server.hits.get('/dog.jpg') ?? 0
    const noImage = work('p2', 'no picture', [], ['picture'])
    const noCandidates = work('p3', 'nothing to ground', [server.url('/dog.jpg')], [])
    const out = await stage.run([noImage, noCandidates])
    expect(out[0]!.image).toBe(NO_IMAGE)
    expect(out[1]!.image).toBe(NO_IMAGE)
    expect(server.hits.get('/dog.jpg') ?? 0, 'nothing was fetched').toBe(before)
  })

  it('records a clear, counted status for every refusal and keeps the batch going', async () => {
    const seen = events.length
    const batch = [
      work('b1', 'dog', [server.url('/bomb.png')], ['dog']),
      work('b2', 'dog', [server.url('/corrupt.jpg')], ['dog']),
      work('b3', 'dog', ['http://169.254.169.254/latest/meta-data/'], ['dog']),
      work('b4', 'dog', ['file:///etc/passwd'], ['dog']),
      work('b5', 'my dog Rex', [server.url('/dog.jpg')], ['Rex'])
    ]
    const out = await stage.run(batch)
    expect(out.map((w) => w.image.status)).toStrictEqual(['refused_pixels', 'decode_error', 'refused_address', 'refused_scheme', 'ok'])
    expect(out.map((w) => w.post.id), 'one result per input, in order').toStrictEqual(['b1', 'b2', 'b3', 'b4', 'b5'])
    expect(out[4]!.image.regions.some((r) => r.label === 'dog')).toBeTruthy()
    const mine = events.slice(seen)
    expect(mine.length).toBe(5)
    expect(mine.every((e) => e.status === 'ok' || (e.reason !== null && e.reason.length > 0))).toBeTruthy()
    const stats = stage.stats()
    expect(stats.refused_pixels).toBe(1)
    expect(stats.refused_address).toBe(1)
  })

  it('never lets a slow image hold the batch beyond its budget', async () => {
    const started = Date.now()
    const out = await stage.run([work('s1', 'slow', [server.url('/hang.jpg')], ['slow']), work('s2', 'dog', [server.url('/dog.jpg')], ['dog'])])
    const elapsed = Date.now() - started
    expect(out[0]!.image.status).toBe('timeout')
    expect(out[1]!.image.status).toBe('ok')
    expect(elapsed < 4_000 + 1_500, `took ${elapsed} ms`).toBeTruthy()
  })

  it('reports a disabled image path without fetching', async () => {
    let fetched = 0
    const fetcher: ImageFetcher = { fetch: async () => { fetched++; throw new Error('must not fetch') }, close: async () => {}, destroy: async () => {} }
    const off = createImageStage(testConfig({ enabled: false }), { fetcher, analyser: { init: async () => {}, analyse: async () => { throw new Error('no') }, relate: async () => { throw new Error('no') }, close: async () => {} } })
    await off.init()
    const [out] = await off.run([work('d1', 'dog', [server.url('/dog.jpg')], ['dog'])])
    expect(out!.image.status).toBe('disabled')
    expect(fetched).toBe(0)
    await off.close()
  })
})

describe('image stage: repeated images and slow hosts', () => {
  let server: TestServer
  let slow: TestServer
  let stage: ImageStage

  beforeAll(async () => {
    server = await startServer()
    slow = await startServer()
    const scene = (await renderSignScene('STARBUCKS')).bytes
    server.route('/scene.jpg', serveBytes(scene, 'image/jpeg'))
    server.route('/repost.jpg', serveBytes(scene, 'image/jpeg'))
    server.route('/dog.jpg', serveBytes(await fixture('dog.jpg'), 'image/jpeg'))
    for (const id of ['h1', 'h2', 'h3']) slow.route(`/${id}.jpg`, () => { /* never answers */ })
    stage = createImageStage(testConfig({ fetch: { hostBreakerTimeouts: 2, hostBreakerOpenMs: 60_000 } }), {})
    await stage.init()
  })

  afterAll(async () => {
    await stage.close()
    await server.close()
    await slow.close()
  })

  it('analyses an image once: a repeated URL, the same bytes elsewhere and a repeat in the same batch reuse it', async () => {
    const [first] = await stage.run([work('c1', 'Coffee with Obama at Starbucks', [server.url('/scene.jpg')], ['Obama', 'Starbucks'])])
    const again = await stage.run([
      work('c2', 'Starbucks again', [server.url('/scene.jpg')], ['Starbucks']),
      work('c3', 'Obama at Starbucks', [server.url('/repost.jpg')], ['Starbucks', 'Obama'])
    ])
    const sameBatch = await stage.run([
      work('c4', 'my dog', [server.url('/dog.jpg')], ['dog']),
      work('c5', 'your dog', [server.url('/dog.jpg')], ['dog'])
    ])
    expect(server.hits.get('/scene.jpg'), 'a repeated URL is not fetched again').toBe(1)
    expect(server.hits.get('/repost.jpg')).toBe(1)
    expect(server.hits.get('/dog.jpg'), 'two posts of one batch share one fetch').toBe(1)
    for (const out of [...again, ...sameBatch]) expect(out.image.status).toBe('ok')
    expect(again.map((w) => w.image.regions)).toStrictEqual([first!.image.regions, first!.image.regions])
    expect(again[1]!.image.description).toBe(first!.image.description)
    expect(again[1]!.image.url, 'the post keeps its own URL').toBe(server.url('/repost.jpg'))
    // Similarity is per post: c3 asks about Starbucks first, so the sign leads its first row.
    const sign = first!.image.regions.findIndex((r) => r.text?.includes('STARBUCKS'))
    expect(regionOrder(again[1]!)[0]?.[0]).toBe(sign)
    expect(regionSimilarity(again[1]!)[1], 'the same query scores the same regions the same').toStrictEqual(regionSimilarity(first!)[0])
    expect(sameBatch[1]!.image.regions).toStrictEqual(sameBatch[0]!.image.regions)
    const sources = stage.sources()
    expect(sources.analysed).toBe(2)
    expect(sources.cached_url).toBe(1)
    expect(sources.cached_hash).toBe(1)
    expect(sources.shared_in_flight).toBe(1)
  })

  it('stops fetching from a host whose images keep timing out', async () => {
    // A short budget so the host times out quickly; the shared analyser is not needed for this.
    const events: ImageDoneEvent[] = []
    const guarded = createImageStage(testConfig({ perPostBudgetMs: 800, fetch: { hostBreakerTimeouts: 2, hostBreakerOpenMs: 60_000 } }), {
      onImage: (event) => { events.push(event) },
      analyser: { init: async () => {}, analyse: async () => { throw new Error('not reached') }, relate: async () => { throw new Error('not reached') }, close: async () => {} }
    })
    await guarded.init()
    const hang = (id: string): PostWork => work(id, 'slow', [slow.url(`/${id}.jpg`)], ['slow'])
    try {
      for (const id of ['h1', 'h2']) {
        const [out] = await guarded.run([hang(id)])
        expect(out!.image.status).toBe('timeout')
      }
      // The second timeout is counted once its aborted fetch returns.
      await new Promise((resolve) => setTimeout(resolve, 200))
      const started = Date.now()
      const [out] = await guarded.run([hang('h3')])
      expect(Date.now() - started < 500, `an open breaker answers at once (took ${Date.now() - started} ms)`).toBeTruthy()
      expect(out!.image.status, 'a host the breaker refuses is a refused host, not a timeout of this post').toBe('refused_host')
      expect(events.at(-1)?.reason).toMatch(/keeps timing out/)
      expect(['h1', 'h2', 'h3'].map((id) => slow.hits.get(`/${id}.jpg`) ?? 0), 'the third image was not requested').toStrictEqual([1, 1, 0])
    } finally {
      await guarded.close()
    }
    const [other] = await stage.run([work('h4', 'dog', [server.url('/dog.jpg')], ['dog'])])
    expect(other!.image.status, 'other hosts and stages are unaffected').toBe('ok')
  })

  it('decodes at the size the models use, not larger', async () => {
    const { modelSide } = await import('../../src/images/stage.js')
    expect(await modelSide(testConfig())).toBe(960)
    expect(await modelSide(testConfig({ ocr: { enabled: false } }))).toBe(512)
  })
})

describe('image stage start-up', () => {
  it('fails init with a coded error that names a missing model file', async () => {
    const stage = createImageStage(testConfig({ detector: { modelDir: '/nonexistent/detector' } }), {})
    await assert.rejects(stage.init(), (error: Error & { code?: string }) => {
      expect(error.code).toBe('GS_ERR_MODEL_MISSING')
      expect(error.message).toMatch(/\/nonexistent\/detector\/manifest\.json/)
      return true
    })
    await stage.close()
  })
})

describe('image stage: batches in flight (in the pipeline)', () => {
  let server: TestServer
  let heldReplies: Array<() => void> = []
  // No models: the overlap is about fetching and waiting, so a fixed analysis will do.
  const analyser = {
    init: async () => {},
    analyse: async () => ({ regions: [], description: 'a photo', similarity: [] }),
    relate: async () => ({ regions: [], description: 'a photo', similarity: [] }),
    close: async () => {}
  }

  beforeAll(async () => {
    server = await startServer()
    const dog = await fixture('dog.jpg')
    server.route('/fast.jpg', serveBytes(dog, 'image/jpeg'))
    // Answers only when the test says so: a slow host that the budget has not cut yet.
    server.route('/held.jpg', (req, res) => { heldReplies.push(() => { serveBytes(dog, 'image/jpeg')(req, res) }) })
  })

  afterAll(async () => { await server.close() })

  async function start (batchesInFlight: number): Promise<{ stage: ImageStage, pipeline: Pipeline, sink: MemorySink }> {
    heldReplies = []
    server.hits.clear()
    const stage = createImageStage(testConfig({ batchesInFlight, cache: { enabled: false }, fetch: { requestTimeoutMs: 15_000 } }), { analyser })
    await stage.init()
    const [stage1, stage2] = fakeStages()
    const sink = new MemorySink()
    const pipeline = new Pipeline({ stages: [stage1!, stage, stage2!], sink, deadLetters: new MemoryDeadLetters(), maxBatchSize: 1, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 8 })
    return { stage, pipeline, sink }
  }

  const held = (): PostWork => makeWork(0, { image_urls: [server.url('/held.jpg')] })
  const fast = (): PostWork => makeWork(1, { image_urls: [server.url('/fast.jpg')] })
  async function untilHeldHostAsked (): Promise<void> {
    while (heldReplies.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  }

  it('declares batchesInFlight as its concurrency', async () => {
    const three = createImageStage(testConfig({ batchesInFlight: 3 }), { analyser })
    const byDefault = createImageStage(testConfig(), { analyser })
    expect(three.concurrency).toBe(3)
    expect(byDefault.concurrency).toBe(1)
    await three.close()
    await byDefault.close()
  })

  it('with 2, the next batch is fetched, analysed and indexed while a slow image holds the first', async () => {
    const { stage, pipeline, sink } = await start(2)
    try {
      let firstSettled = false
      const first = pipeline.push(held()).finally(() => { firstSettled = true })
      const second = pipeline.push(fast())
      expect(await second).toBe('indexed')
      expect(firstSettled).toBe(false)
      expect(sink.written.map((w) => [w.post.id, w.image.status])).toStrictEqual([['post-00001', 'ok']])
      await untilHeldHostAsked()
      for (const reply of heldReplies) reply()
      expect(await first).toBe('indexed')
      expect(sink.written.map((w) => [w.post.id, w.image.status])).toStrictEqual([['post-00001', 'ok'], ['post-00000', 'ok']])
    } finally {
      await pipeline.close()
      await stage.close()
    }
  }, 20_000)

  it('with 1, the next batch\'s image is not even fetched while the first is held', async () => {
    const { stage, pipeline, sink } = await start(1)
    try {
      const done = [pipeline.push(held()), pipeline.push(fast())]
      await untilHeldHostAsked()
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(server.hits.get('/fast.jpg')).toBe(undefined)
      expect(sink.written.length).toBe(0)
      for (const reply of heldReplies) reply()
      expect(await Promise.all(done)).toStrictEqual(['indexed', 'indexed'])
      expect(server.hits.get('/fast.jpg')).toBe(1)
      expect(sink.written.map((w) => w.post.id)).toStrictEqual(['post-00000', 'post-00001'])
    } finally {
      await pipeline.close()
      await stage.close()
    }
  }, 20_000)
})
