// The image-analysis cache: in-process tier always; the Redis tier against a
// real Redis when REDIS_URL is set (scripts/services.sh exports it).
import { describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { contentHash, createAnalysisCache, settingsFingerprint, type VisualAnalysis } from '../../src/images/analysis-cache.js'
import { needService } from '../support/skip.js'

const visual = (label: string): VisualAnalysis => ({
  regions: [{ label, text: null, kind: 'object', score: 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }],
  description: label,
  width: 640,
  height: 480
})

describe('image analysis cache (in process)', () => {
  it('finds an analysis by URL and by content hash, and misses on anything else', async () => {
    const cache = createAnalysisCache({ maxBytes: 1_000_000, maxUrls: 100, fingerprint: 'f' })
    const hash = contentHash(Buffer.from('image bytes'))
    expect(await cache.byUrl('https://a.example/x.jpg')).toBe(null)
    expect(await cache.byHash(hash)).toBe(null)
    cache.put('https://a.example/x.jpg', hash, visual('dog'))
    expect((await cache.byUrl('https://a.example/x.jpg'))?.analysis).toStrictEqual(visual('dog'))
    expect((await cache.byHash(hash))?.analysis).toStrictEqual(visual('dog'))
    expect(await cache.byUrl('https://a.example/y.jpg')).toBe(null)
    expect(cache.stats(), "a miss is counted once, when the content hash is unknown too").toStrictEqual({ urlHits: 1, hashHits: 1, redisHits: 0, misses: 1 })
  })

  it('stays within its byte budget, forgetting the least recently used', async () => {
    const cache = createAnalysisCache({ maxBytes: 600, maxUrls: 100, fingerprint: 'f' })
    for (let i = 0; i < 10; i++) cache.put(`u${i}`, contentHash(Buffer.from(String(i))), visual(`label ${i}`))
    expect(await cache.byUrl('u0')).toBe(null)
    expect(await cache.byUrl('u9')).not.toBe(null)
  })

  it('keys depend on the analysis settings', () => {
    expect(settingsFingerprint({ topK: 18 })).not.toBe(settingsFingerprint({ topK: 12 }))
  })
})

const REDIS_URL = process.env.REDIS_URL
const skipRedis = REDIS_URL === undefined ? 'REDIS_URL is not set: start Redis with `scripts/services.sh start redis` and export its env' : false
describe('image analysis cache (Redis tier)', () => {
  it('shares analyses between processes through Redis, by URL and by hash', async (t) => {
    needService(t, skipRedis)
    const redis = new Redis(REDIS_URL as string, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    const prefix = `gs:test:img:${process.pid}:${Date.now()}:`
    try {
      const writer = createAnalysisCache({ maxBytes: 1_000_000, maxUrls: 100, fingerprint: 'f', redis, redisKeyPrefix: prefix, redisTimeoutMs: 2_000 })
      const hash = contentHash(Buffer.from('shared bytes'))
      writer.put('https://b.example/p.jpg', hash, visual('horse'))
      // The writes are fire-and-forget; wait until Redis has them.
      for (let i = 0; i < 50 && (await redis.keys(`${prefix}*`)).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      const reader = createAnalysisCache({ maxBytes: 1_000_000, maxUrls: 100, fingerprint: 'f', redis, redisKeyPrefix: prefix, redisTimeoutMs: 2_000 })
      const byUrl = await reader.byUrl('https://b.example/p.jpg')
      expect(byUrl?.tier).toBe('redis')
      expect(byUrl?.analysis).toStrictEqual(visual('horse'))
      const other = createAnalysisCache({ maxBytes: 1_000_000, maxUrls: 100, fingerprint: 'f', redis, redisKeyPrefix: prefix, redisTimeoutMs: 2_000 })
      expect((await other.byHash(hash))?.analysis).toStrictEqual(visual('horse'))
      const otherModels = createAnalysisCache({ maxBytes: 1_000_000, maxUrls: 100, fingerprint: 'g', redis, redisKeyPrefix: prefix, redisTimeoutMs: 2_000 })
      expect(await otherModels.byHash(hash), 'another fingerprint never reads these entries').toBe(null)
    } finally {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    }
  })
})
