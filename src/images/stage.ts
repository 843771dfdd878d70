// The image stage: for each post with an image and at least one candidate,
// fetch (guarded), decode, analyse in a worker, and fill `work.image`,
// `work.regionOrder` and `work.regionSimilarity`. A post's image gets at most
// `perPostBudgetMs` of wall-clock; past it the post goes on without image
// context (status `timeout`). Nothing here throws for one bad image.
import { NO_IMAGE, type ImageContext, type ImageStatus, type Knowledge, type Candidate } from '../contracts/index.js'
import { errorMessage, isGroundstreamError } from '../errors/index.js'
import type { PostWork, Stage, StageInstrumentation } from '../pipeline/types.js'
import type { Analysis } from './analyse.js'
import type { ImagesConfig } from './config.js'
import { decodeImage } from './decode.js'
import { createImageFetcher, type ImageFetcher } from './fetch.js'
import { createRoutedFetcher } from './folder-fetcher.js'
import { createWorkerPool, type ImageAnalyser } from './pool.js'

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
  /** Defaults to a guarded undici fetcher built from `config.fetch`. */
  fetcher?: ImageFetcher
  /** Defaults to a worker-thread pool running the ONNX models. */
  analyser?: ImageAnalyser
  logger?: ImageStageLogger
  instrumentation?: StageInstrumentation
  /** Called once per post that had an image, with its outcome (for metrics). */
  onImage?: (event: ImageDoneEvent) => void
}

export interface ImageStage extends Stage {
  /** Count of outcomes per status since start. */
  stats (): Readonly<Partial<Record<ImageStatus, number>>>
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

function createSemaphore (limit: number): { run<T> (fn: () => Promise<T>): Promise<T> } {
  let active = 0
  const waiting: Array<() => void> = []
  return {
    async run<T> (fn: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
      else active++
      try {
        return await fn()
      } finally {
        const next = waiting.shift()
        if (next) next()
        else active--
      }
    }
  }
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
      engine: { detector: config.detector, ocr: config.ocr, embedder: config.embedder, intraOpThreads: config.intraOpThreads },
      topK: config.topK
    }
  })
  const counts: Partial<Record<ImageStatus, number>> = {}
  const decodeSlots = createSemaphore(config.decode.concurrency)
  let closed = false

  async function analysePost (work: PostWork, url: string, signal: AbortSignal): Promise<{ context: ImageContext, analysis: Analysis }> {
    const fetched = await fetcher.fetch(url, signal)
    if (!fetched.ok) throw new Outcome(fetched.status, fetched.reason)
    const decoded = await decodeSlots.run(async () => await decodeImage(fetched.image.bytes, config.decode))
    if (!decoded.ok) throw new Outcome(decoded.status, decoded.reason)
    const { image } = decoded
    if (signal.aborted) throw new Outcome('timeout', 'budget exhausted after decoding', image.originalWidth, image.originalHeight)
    const queries = work.candidates.map((c, i) => candidateQuery(c, work.knowledge[i] ?? null))
    let analysis: Analysis
    try {
      analysis = await analyser.analyse(image, queries, signal)
    } catch (error) {
      if (isGroundstreamError(error, 'GS_ERR_TIMEOUT')) throw new Outcome('timeout', error.message, image.originalWidth, image.originalHeight)
      throw error
    }
    return {
      analysis,
      context: {
        // The post's own URL (not the last redirect hop), so documents join back to the post.
        url,
        status: 'ok',
        width: image.originalWidth,
        height: image.originalHeight,
        description: analysis.description,
        regions: analysis.regions
      }
    }
  }

  async function processPost (work: PostWork): Promise<void> {
    const url = work.post.image_urls[0]
    if (url === undefined || work.candidates.length === 0) {
      // Posts without an image, or with nothing to ground, skip the image path entirely.
      work.image = NO_IMAGE
      return
    }
    if (!config.enabled) {
      work.image = { ...NO_IMAGE, url, status: 'disabled' }
      return
    }
    const started = performance.now()
    const budget = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        budget.abort(new Outcome('timeout', `image exceeded the ${config.perPostBudgetMs} ms budget`))
        reject(new Outcome('timeout', `image exceeded the ${config.perPostBudgetMs} ms budget`))
      }, config.perPostBudgetMs)
    })
    let status: ImageStatus
    let reason: string | null = null
    try {
      const { context, analysis } = await Promise.race([analysePost(work, url, budget.signal), deadline])
      work.image = context
      work.regionOrder = orderBySimilarity(analysis.similarity, analysis.regions.length, work.candidates.length)
      work.regionSimilarity = analysis.similarity
      status = 'ok'
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
    } finally {
      clearTimeout(timer)
      budget.abort()
    }
    counts[status] = (counts[status] ?? 0) + 1
    const event: ImageDoneEvent = { postId: work.post.id, status, durationMs: performance.now() - started, regions: work.image.regions.length, reason }
    if (status !== 'ok') deps.logger?.debug({ postId: event.postId, status, reason }, 'image refused or failed')
    deps.onImage?.(event)
  }

  return Object.freeze({
    name: 'image' as const,
    async init (): Promise<void> {
      if (config.enabled) await analyser.init()
    },
    async run (batch: PostWork[]): Promise<PostWork[]> {
      const started = performance.now()
      await Promise.all(batch.map(processPost))
      const durationMs = performance.now() - started
      for (const work of batch) work.timings.image = durationMs
      deps.instrumentation?.batchEnd({ stage: 'image', size: batch.length, durationMs })
      return batch
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      await fetcher.close()
      await analyser.close()
    },
    stats: () => ({ ...counts })
  })
}
