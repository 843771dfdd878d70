// The image stage: for each post with an image and at least one candidate,
// fetch (guarded), decode, analyse in a worker, and fill `work.image` and each
// candidate record's `regions` (index and similarity, most relevant first). A post's image gets at most
// `perPostBudgetMs` of wall-clock; past it the post goes on without image
// context (status `timeout`). Nothing here throws for one bad image. Up to
// `batchesInFlight` batches are in the stage at once, so one batch's slow
// image does not hold the next batch.
import pLimit from 'p-limit'
import { NO_IMAGE, type ImageContext, type ImageStatus, type Knowledge, type Candidate } from '../contracts/index.js'
import { errorMessage, isGroundstreamError } from '../errors/index.js'
import { SingleFlight, readManifest, unlessAborted, withTimeout } from '../shared/index.js'
import { DetectorManifestSchema } from './manifests.js'
import type { PostWork, Stage } from '../pipeline/index.js'
import type { Analysis } from './analyse.js'
import type { ImagesConfig } from './config.js'
import { decodeImage } from './decode.js'
import { createImageFetcher, type ImageFetcher } from './fetch.js'
import { createRoutedFetcher } from './folder-fetcher.js'
import { createWorkerPool, type ImageAnalyser } from './pool.js'
import { contentHash, createAnalysisCache, settingsFingerprint, type AnalysisRedis, type VisualAnalysis } from './analysis-cache.js'
import { createHostGuard, isRefusal, type GuardRefusal } from './host-guard.js'

export interface ImageDoneEvent {
  postId: string
  status: ImageStatus
  durationMs: number
  regions: number
  reason: string | null
}

export interface ImageStageLogger {
  debug (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
}

export interface ImageStageDeps {
  /** Shared tier of the analysis cache (the knowledge cache's Redis client); absent: in-process only. */
  redis?: AnalysisRedis | null
  /** Defaults to a guarded undici fetcher built from `config.fetch`. */
  fetcher?: ImageFetcher
  /** Defaults to a worker-thread pool running the ONNX models. */
  analyser?: ImageAnalyser
  logger?: ImageStageLogger
  /** Called once per post that had an image, with its outcome (for metrics). */
  onImage?: (event: ImageDoneEvent) => void
}

/** Where a post's image analysis came from. */
export type ImageSource = 'skipped_no_candidates' | 'analysed' | 'cached_url' | 'cached_hash' | 'shared_in_flight' | 'failed'

export interface ImageStage extends Stage {
  /** Count of outcomes per status since start. */
  stats (): Readonly<Partial<Record<ImageStatus, number>>>
  /** Count of posts with an image URL by where their analysis came from (skips and cache hits). */
  sources (): Readonly<Partial<Record<ImageSource, number>>>
}

/** What the sentence encoder compares regions against: the candidate and its knowledge title. */
export function candidateQuery (candidate: Candidate, knowledge: Knowledge | null): string {
  const title = knowledge?.title
  return title && title.toLowerCase() !== candidate.text.toLowerCase() ? `${candidate.text} (${title})` : candidate.text
}

/** Per candidate: region indices, most similar first (stable on ties, so detector order breaks them). */
export function orderBySimilarity (similarity: readonly number[][], regionCount: number, candidates: number): number[][] {
  return Array.from({ length: candidates }, (_, c) => {
    const row = similarity[c]
    const indices = Array.from({ length: regionCount }, (_, r) => r)
    if (!row) return indices
    return indices.sort((a, b) => (row[b] ?? 0) - (row[a] ?? 0) || a - b)
  })
}

/**
 * The longest side any image model looks at: the detector's square input, or
 * the OCR detector's limit when OCR is on. Decoding to this (libvips shrinks
 * JPEGs while decoding) costs less than decoding at full size and resizing.
 */
export async function modelSide (config: ImagesConfig): Promise<number> {
  let detectorSide = 512
  try {
    detectorSide = (await readManifest(config.detector.modelDir, DetectorManifestSchema, 'detector manifest')).manifest.input.size
  } catch {
    // A missing or broken manifest fails the engine's own load with a clear error; keep the default here.
  }
  return Math.max(detectorSide, config.ocr.enabled ? config.ocr.detMaxSide : 0)
}

/** A host the guard would not ask is refused (`refused_host`); a post whose budget ran out waiting for a slot timed out. */
function refusalStatus (refusal: GuardRefusal): ImageStatus {
  return refusal.kind === 'budget' ? 'timeout' : 'refused_host'
}

class Outcome extends Error {
  constructor (readonly status: ImageStatus, readonly reason: string, readonly width: number | null = null, readonly height: number | null = null) {
    super(reason)
  }
}

export function createImageStage (config: ImagesConfig, deps: ImageStageDeps = {}): ImageStage {
  const fetcher = deps.fetcher ?? createRoutedFetcher(config.folders, createImageFetcher(config.fetch), config.fetch.maxBytes)
  const analyser = deps.analyser ?? createWorkerPool({
    workers: config.workers,
    maxQueue: config.queueLimit,
    batch: config.workerBatch,
    init: {
      engine: { detector: config.detector, ocr: config.ocr, embedder: config.embedder, intraOpThreads: config.intraOpThreads, executionProvider: config.executionProvider },
      topK: config.topK
    }
  })
  const counts: Partial<Record<ImageStatus, number>> = {}
  const sourceCounts: Partial<Record<ImageSource, number>> = {}
  const decodeSlots = pLimit(config.decode.concurrency)
  const hosts = createHostGuard({
    maxPerHost: config.fetch.maxPerHost,
    queuePerHost: config.fetch.queuePerHost,
    breakerTimeouts: config.fetch.hostBreakerTimeouts,
    breakerOpenMs: config.fetch.hostBreakerOpenMs
  })
  const cache = config.cache.enabled
    ? createAnalysisCache({
      maxBytes: config.cache.maxBytes,
      maxUrls: config.cache.maxUrls,
      // Anything that changes what the models report changes the key.
      fingerprint: settingsFingerprint({ detector: config.detector, ocr: config.ocr, embedder: config.embedder, topK: config.topK }),
      redis: config.cache.useRedis ? deps.redis ?? null : null,
      redisKeyPrefix: config.cache.redisKeyPrefix,
      redisTimeoutMs: config.cache.redisTimeoutMs,
      ttlSeconds: config.cache.ttlSeconds
    })
    : null
  /** Images being analysed now, by URL: a repeat in the same or a later batch waits for it instead of fetching again. */
  const flights = new SingleFlight<Analysed>()
  // Decoding at the size the models use (shrink-on-load): set in init from the detector's manifest.
  let decodeConfig = config.decode
  let closed = false

  type Analysed = { context: ImageContext, analysis: Analysis, source: ImageSource }

  function contextOf (url: string, visual: VisualAnalysis): ImageContext {
    // The post's own URL (not the last redirect hop), so documents join back to the post.
    return { url, status: 'ok', width: visual.width, height: visual.height, description: visual.description, regions: visual.regions }
  }

  async function relate (url: string, visual: VisualAnalysis, queries: string[], signal: AbortSignal, source: ImageSource): Promise<Analysed> {
    let analysis: Analysis
    try {
      analysis = await analyser.relate(visual, queries, signal)
    } catch (error) {
      if (isGroundstreamError(error, 'GS_ERR_TIMEOUT')) throw new Outcome('timeout', error.message, visual.width, visual.height)
      throw error
    }
    return { context: contextOf(url, visual), analysis, source }
  }

  async function analysePost (work: PostWork, url: string, signal: AbortSignal): Promise<Analysed> {
    const queries = work.candidates.map((record) => candidateQuery(record.candidate, record.knowledge))
    const known = cache === null ? null : await cache.byUrl(url)
    if (known !== null) return await relate(url, known.analysis, queries, signal, 'cached_url')
    const { promise, joined } = flights.run(url, async () => await fetchAndAnalyse(url, queries, signal))
    if (!joined) return await promise
    // Another post's fetch of the same URL: its regions, related to this post's candidates.
    const theirs = await unlessAborted(promise, signal, () => { throw new Outcome('timeout', 'budget exhausted waiting for the same image') })
    const visual: VisualAnalysis = { regions: theirs.analysis.regions, description: theirs.analysis.description, width: theirs.context.width ?? 0, height: theirs.context.height ?? 0 }
    return await relate(url, visual, queries, signal, 'shared_in_flight')
  }

  async function fetchAndAnalyse (url: string, queries: string[], signal: AbortSignal): Promise<Analysed> {
    // A host that keeps timing out is not asked again until its breaker lets a probe through.
    const fetched = await hosts.run(url, async () => await fetcher.fetch(url, signal), (outcome) => !outcome.ok && (outcome.status === 'timeout' || signal.aborted), signal)
    if (isRefusal(fetched)) throw new Outcome(refusalStatus(fetched), fetched.reason)
    if (!fetched.ok) throw new Outcome(fetched.status, fetched.reason)
    const hash = contentHash(fetched.image.bytes)
    const same = cache === null ? null : await cache.byHash(hash)
    if (same !== null) {
      cache?.put(url, hash, same.analysis)
      return await relate(url, same.analysis, queries, signal, 'cached_hash')
    }
    const decoded = await decodeSlots(async () => await decodeImage(fetched.image.bytes, decodeConfig))
    if (!decoded.ok) throw new Outcome(decoded.status, decoded.reason)
    const { image } = decoded
    if (signal.aborted) throw new Outcome('timeout', 'budget exhausted after decoding', image.originalWidth, image.originalHeight)
    let analysis: Analysis
    try {
      analysis = await analyser.analyse(image, queries, signal)
    } catch (error) {
      if (isGroundstreamError(error, 'GS_ERR_TIMEOUT')) throw new Outcome('timeout', error.message, image.originalWidth, image.originalHeight)
      throw error
    }
    const visual: VisualAnalysis = { regions: analysis.regions, description: analysis.description, width: image.originalWidth, height: image.originalHeight }
    cache?.put(url, hash, visual)
    return { analysis, context: contextOf(url, visual), source: 'analysed' }
  }

  async function processPost (work: PostWork): Promise<void> {
    const url = work.post.image_urls[0]
    if (url === undefined || work.candidates.length === 0) {
      // Posts without an image, or with nothing to ground, skip the image path entirely.
      if (url !== undefined) sourceCounts.skipped_no_candidates = (sourceCounts.skipped_no_candidates ?? 0) + 1
      work.image = NO_IMAGE
      return
    }
    if (!config.enabled) {
      work.image = { ...NO_IMAGE, url, status: 'disabled' }
      return
    }
    const started = performance.now()
    let status: ImageStatus
    let reason: string | null = null
    let source: ImageSource = 'failed'
    try {
      // The budget aborts the post's signal and stops waiting, even for a step that ignores the signal.
      const { context, analysis, source: from } = await withTimeout(config.perPostBudgetMs, async (signal) => await analysePost(work, url, signal),
        () => new Outcome('timeout', `image exceeded the ${config.perPostBudgetMs} ms budget`))
      work.image = context
      // The analysis answers in query order: one row per candidate record.
      const order = orderBySimilarity(analysis.similarity, analysis.regions.length, work.candidates.length)
      work.candidates.forEach((record, c) => {
        const row = analysis.similarity[c]
        record.regions = (order[c] as number[]).map((index) => ({ index, similarity: row === undefined ? null : row[index] ?? 0 }))
      })
      status = 'ok'
      source = from
    } catch (error) {
      if (error instanceof Outcome) {
        status = error.status
        reason = error.reason
        work.image = { ...NO_IMAGE, url, status, width: error.width, height: error.height }
      } else {
        // A model failure on one image: the post goes on as if it had no readable image.
        status = 'decode_error'
        reason = `analysis failed: ${errorMessage(error)}`
        work.image = { ...NO_IMAGE, url, status }
        deps.logger?.warn({ postId: work.post.id, err: error }, 'image analysis failed')
      }
    }
    counts[status] = (counts[status] ?? 0) + 1
    sourceCounts[source] = (sourceCounts[source] ?? 0) + 1
    const event: ImageDoneEvent = { postId: work.post.id, status, durationMs: performance.now() - started, regions: work.image.regions.length, reason }
    if (status !== 'ok') deps.logger?.debug({ postId: event.postId, status, reason }, 'image refused or failed')
    deps.onImage?.(event)
  }

  return Object.freeze({
    name: 'image' as const,
    // Several runs at once share everything above (fetch and decode slots, host guard, worker pool and its queueLimit, cache).
    concurrency: config.batchesInFlight,
    async init (): Promise<void> {
      if (!config.enabled) return
      decodeConfig = { ...config.decode, maxSide: Math.min(config.decode.maxSide, await modelSide(config)) }
      await analyser.init()
    },
    async run (batch: PostWork[]): Promise<PostWork[]> {
      await Promise.all(batch.map(processPost))
      return batch
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      await fetcher.close()
      await analyser.close()
    },
    stats: () => ({ ...counts }),
    sources: () => ({ ...sourceCounts })
  })
}
