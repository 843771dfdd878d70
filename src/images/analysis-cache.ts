// Cache of what the image models saw in an image (regions, description,
// size), so a firehose's repeated images (reposts, memes, campaign images)
// are analysed once. Two keys: the URL (a hit skips the fetch too) and the
// SHA-256 of the bytes (the same image under another URL skips decoding and
// the models). An in-process LRU bounded in bytes sits in front of an
// optional Redis tier (the client the knowledge cache uses), so replicas
// share their work. Only the query-independent part is cached: similarity to
// a post's candidates is computed per post from the cached regions.
//
// Every key carries a fingerprint of the analysis settings (models, top-K,
// OCR), so a changed model never serves an old analysis. Redis failures and
// slow answers are misses, never errors.
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { ImageRegion } from '../contracts/index.js'
import { withTimeout } from '../shared/index.js'

export interface VisualAnalysis {
  regions: ImageRegion[]
  description: string
  width: number
  height: number
}

/** The part of ioredis the cache uses (the knowledge cache's client fits). */
export interface AnalysisRedis {
  get (key: string): Promise<string | null>
  set (key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>
}

export interface AnalysisCacheOptions {
  /** Bytes of serialised analyses kept in process. */
  maxBytes: number
  /** URLs remembered (each maps to a content hash). */
  maxUrls: number
  /** Fingerprint of the settings that shape an analysis. */
  fingerprint: string
  redis?: AnalysisRedis | null
  redisKeyPrefix?: string
  redisTimeoutMs?: number
  ttlSeconds?: number
}

export type CacheTier = 'memory' | 'redis'

export interface AnalysisCacheStats {
  urlHits: number
  hashHits: number
  redisHits: number
  /** Content hashes no tier knew (an image that had to be analysed). */
  misses: number
}

export interface AnalysisCache {
  /** The analysis of the image a URL served before, if any tier knows it. */
  byUrl (url: string): Promise<{ analysis: VisualAnalysis, tier: CacheTier } | null>
  /** The analysis of these exact bytes, if any tier knows it. */
  byHash (hash: string): Promise<{ analysis: VisualAnalysis, tier: CacheTier } | null>
  /** Remembers an analysis under its content hash and the URL it came from. */
  put (url: string, hash: string, analysis: VisualAnalysis): void
  stats (): Readonly<AnalysisCacheStats>
}

export function contentHash (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function settingsFingerprint (settings: unknown): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16)
}

function urlKey (url: string): string {
  return createHash('sha256').update(url).digest('hex')
}

function parseAnalysis (raw: string | null): VisualAnalysis | null {
  if (raw === null) return null
  try {
    const value = JSON.parse(raw) as Partial<VisualAnalysis>
    if (!Array.isArray(value.regions) || typeof value.description !== 'string' || typeof value.width !== 'number' || typeof value.height !== 'number') return null
    return value as VisualAnalysis
  } catch {
    return null
  }
}

export function createAnalysisCache (options: AnalysisCacheOptions): AnalysisCache {
  const analyses = new LRUCache<string, VisualAnalysis>({
    maxSize: options.maxBytes,
    // Serialised length approximates the memory an entry holds.
    sizeCalculation: (value) => Math.max(1, JSON.stringify(value).length)
  })
  const urls = new LRUCache<string, string>({ max: options.maxUrls })
  const redis = options.redis ?? null
  const prefix = `${options.redisKeyPrefix ?? 'gs:img:v1:'}${options.fingerprint}:`
  const timeoutMs = options.redisTimeoutMs ?? 50
  const ttl = options.ttlSeconds ?? 7 * 24 * 3600
  const counts: AnalysisCacheStats = { urlHits: 0, hashHits: 0, redisHits: 0, misses: 0 }

  async function redisGet (key: string): Promise<string | null> {
    if (redis === null) return null
    try {
      return await withTimeout(timeoutMs, async () => await redis.get(prefix + key), () => new Error(`image analysis cache read timed out after ${timeoutMs} ms`))
    } catch {
      // A slow or failing shared tier is a miss, never a failed post.
      return null
    }
  }

  async function fromRedisHash (hash: string): Promise<VisualAnalysis | null> {
    const analysis = parseAnalysis(await redisGet(`a:${hash}`))
    if (analysis !== null) analyses.set(hash, analysis)
    return analysis
  }

  return Object.freeze({
    async byUrl (url: string) {
      const hash = urls.get(url)
      const local = hash === undefined ? undefined : analyses.get(hash)
      if (local !== undefined) { counts.urlHits++; return { analysis: local, tier: 'memory' as const } }
      const remoteHash = hash ?? await redisGet(`u:${urlKey(url)}`)
      if (remoteHash !== null && /^[0-9a-f]{64}$/.test(remoteHash)) {
        const analysis = await fromRedisHash(remoteHash)
        if (analysis !== null) {
          urls.set(url, remoteHash)
          counts.urlHits++
          counts.redisHits++
          return { analysis, tier: 'redis' as const }
        }
      }
      return null
    },
    async byHash (hash: string) {
      const local = analyses.get(hash)
      if (local !== undefined) { counts.hashHits++; return { analysis: local, tier: 'memory' as const } }
      const analysis = await fromRedisHash(hash)
      if (analysis !== null) { counts.hashHits++; counts.redisHits++; return { analysis, tier: 'redis' as const } }
      counts.misses++
      return null
    },
    put (url: string, hash: string, analysis: VisualAnalysis): void {
      analyses.set(hash, analysis)
      urls.set(url, hash)
      if (redis !== null) {
        // Fire and forget: a slow or absent Redis never holds a post.
        redis.set(`${prefix}a:${hash}`, JSON.stringify(analysis), 'EX', ttl).catch(() => undefined)
        redis.set(`${prefix}u:${urlKey(url)}`, hash, 'EX', ttl).catch(() => undefined)
      }
    },
    stats: () => ({ ...counts })
  })
}
