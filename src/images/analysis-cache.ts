// Cache of what the image models saw in an image (regions, description,
// size), so a firehose's repeated images (reposts, memes, campaign images)
// are analysed once. Two keys: the URL (a hit skips the fetch too) and the
// SHA-256 of the bytes (the same image under another URL skips decoding and
// the models). Both are tiered caches (src/shared/tiered-cache.ts: an
// in-process LRU bounded in bytes, then an optional Redis tier, the client the
// knowledge cache uses), so replicas share their work. Only the
// query-independent part is cached: similarity to a post's candidates is
// computed per post from the cached regions.
//
// Every key carries a fingerprint of the analysis settings (models, top-K,
// OCR), so a changed model never serves an old analysis. Redis failures and
// slow answers are misses, never errors.
import { createHash } from 'node:crypto'
import type { ImageRegion } from '../contracts/index.js'
import { createTieredCache, type RedisGetSet } from '../shared/index.js'

export interface VisualAnalysis {
  regions: ImageRegion[]
  description: string
  width: number
  height: number
}

/** The part of ioredis the cache uses (the knowledge cache's client fits). */
export type AnalysisRedis = RedisGetSet

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

/** Bytes a remembered URL holds in process: its key, its hash and the entry (a count bound applies too). */
const URL_ENTRY_BYTES = 64

function decodeAnalysis (raw: unknown): VisualAnalysis | undefined {
  const value = raw as Partial<VisualAnalysis> | null
  if (value === null || typeof value !== 'object' || !Array.isArray(value.regions) || typeof value.description !== 'string' || typeof value.width !== 'number' || typeof value.height !== 'number') return undefined
  return value as VisualAnalysis
}

function decodeHash (raw: unknown): string | undefined {
  return typeof raw === 'string' && /^[0-9a-f]{64}$/.test(raw) ? raw : undefined
}

export function createAnalysisCache (options: AnalysisCacheOptions): AnalysisCache {
  const shared = {
    redis: options.redis ?? null,
    redisKeyPrefix: `${options.redisKeyPrefix ?? 'gs:img:v1:'}${options.fingerprint}:`,
    redisTimeoutMs: options.redisTimeoutMs ?? 50
  }
  const analyses = createTieredCache<VisualAnalysis>({
    ...shared,
    redisKeyPrefix: `${shared.redisKeyPrefix}a:`,
    maxBytes: options.maxBytes,
    // Serialised length approximates the memory an entry holds.
    sizeOf: (value) => Math.max(1, JSON.stringify(value).length),
    decode: decodeAnalysis
  })
  const urls = createTieredCache<string>({
    ...shared,
    redisKeyPrefix: `${shared.redisKeyPrefix}u:`,
    maxBytes: Math.max(1, options.maxUrls) * (URL_ENTRY_BYTES + 400),
    maxEntries: Math.max(1, options.maxUrls),
    sizeOf: () => URL_ENTRY_BYTES,
    decode: decodeHash
  })
  const ttlMs = (options.ttlSeconds ?? 7 * 24 * 3600) * 1000
  const counts: AnalysisCacheStats = { urlHits: 0, hashHits: 0, redisHits: 0, misses: 0 }

  return Object.freeze({
    async byUrl (url: string) {
      const key = urlKey(url)
      const hash = urls.local(key)
      const local = hash === undefined ? undefined : analyses.local(hash)
      if (local !== undefined) { counts.urlHits++; return { analysis: local, tier: 'memory' as const } }
      const remoteHash = hash ?? await urls.shared(key)
      const analysis = remoteHash === undefined ? undefined : await analyses.shared(remoteHash)
      if (analysis === undefined) return null
      counts.urlHits++
      counts.redisHits++
      return { analysis, tier: 'redis' as const }
    },
    async byHash (hash: string) {
      const local = analyses.local(hash)
      if (local !== undefined) { counts.hashHits++; return { analysis: local, tier: 'memory' as const } }
      const analysis = await analyses.shared(hash)
      if (analysis !== undefined) { counts.hashHits++; counts.redisHits++; return { analysis, tier: 'redis' as const } }
      counts.misses++
      return null
    },
    put (url: string, hash: string, analysis: VisualAnalysis): void {
      analyses.set(hash, analysis, ttlMs)
      urls.set(urlKey(url), hash, ttlMs)
    },
    stats: () => ({ ...counts })
  })
}
