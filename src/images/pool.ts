// A small pool of inference workers with a bounded queue. A job whose caller
// gives up (the per-post budget) leaves the queue at once; one already running
// finishes in its worker and its result is dropped, so a slow image costs at
// most its budget to the partition and never more than one worker's time.
import type { ImageRegion } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import { startWorker, type WorkerRpc } from '../shared/index.js'
import type { Analysis } from './analyse.js'
import type { EngineConfig, RgbImage } from './engine.js'

export interface ImageAnalyser {
  init (): Promise<void>
  analyse (image: RgbImage, queries: readonly string[], signal?: AbortSignal): Promise<Analysis>
  /** Similarity of the queries to regions already known (a cached analysis); no detector, no OCR. */
  relate (visual: { regions: ImageRegion[], description: string }, queries: readonly string[], signal?: AbortSignal): Promise<Analysis>
  close (): Promise<void>
}

/** What each worker loads. */
export interface WorkerInit {
  engine: EngineConfig
  topK: number
}

export interface AnalyseJob {
  id: number
  data: Uint8Array
  width: number
  height: number
  queries: string[]
}

/** Similarity only, for an image whose regions came from the analysis cache. */
export interface RelateJob {
  id: number
  regions: ImageRegion[]
  description: string
  queries: string[]
}

/** The payload of one `analyse` call: several images at once (one detector batch); relate jobs need no image. Each id is answered on its own. */
export interface AnalysePayload {
  jobs: AnalyseJob[]
  relate: RelateJob[]
}

interface Job {
  image: RgbImage | null
  visual: { regions: ImageRegion[], description: string } | null
  queries: string[]
  signal: AbortSignal | undefined
  resolve: (a: Analysis) => void
  reject: (e: Error) => void
  onAbort: () => void
}

interface Slot {
  rpc: WorkerRpc
  /** Jobs sent to this worker and not yet answered (one detector batch). */
  jobs: Job[]
}

export interface PoolOptions {
  workers: number
  /** Jobs allowed to wait for a worker; more are refused at once. */
  maxQueue: number
  /** Images a worker takes at once (one detector batch). */
  batch: number
  init: WorkerInit
  /** Only for tests: a different worker script. */
  workerUrl?: URL
}

function abortError (signal: AbortSignal | undefined): GroundstreamError {
  return new GroundstreamError('GS_ERR_TIMEOUT', 'image analysis abandoned: budget exhausted', { cause: signal?.reason })
}

export function createWorkerPool (options: PoolOptions): ImageAnalyser {
  const url = options.workerUrl ?? new URL('./worker.js', import.meta.url)
  const slots: Slot[] = []
  const queue: Job[] = []
  let started: Promise<void> | null = null
  let closed = false

  function settle (job: Job): void {
    job.signal?.removeEventListener('abort', job.onAbort)
  }

  async function spawn (): Promise<Slot> {
    const rpc = await startWorker(url, { name: 'image worker', workerData: options.init })
    const slot: Slot = { rpc, jobs: [] }
    rpc.onGone(() => {
      // Its unanswered jobs are failed by the RPC; replace a worker that died while the pool is open.
      const index = slots.indexOf(slot)
      if (index >= 0) slots.splice(index, 1)
      if (!closed) spawn().then((s) => { slots.push(s); pump() }, () => undefined)
    })
    return slot
  }

  function pump (): void {
    for (const slot of slots) {
      if (slot.jobs.length > 0) continue
      // Relate-only jobs (cached images) are cheap: all waiting ones go along with the next image batch.
      const relate: Job[] = []
      for (let i = queue.length - 1; i >= 0; i--) if ((queue[i] as Job).image === null) relate.unshift(...queue.splice(i, 1))
      const batch = queue.splice(0, options.batch)
      if (batch.length === 0 && relate.length === 0) return
      const sent = [...relate, ...batch]
      slot.jobs = sent
      const answers = slot.rpc.callEach<Analysis>('analyse', sent.length, (ids) => {
        // Copy into fresh buffers: the decoder's buffer may share a pooled ArrayBuffer.
        const jobs = batch.map((job, i) => {
          const image = job.image as RgbImage
          return { id: ids[relate.length + i] as number, data: new Uint8Array(image.data), width: image.width, height: image.height, queries: job.queries }
        })
        const payload: AnalysePayload = {
          jobs,
          relate: relate.map((job, i) => ({ id: ids[i] as number, ...(job.visual as { regions: ImageRegion[], description: string }), queries: job.queries }))
        }
        return { payload, transfer: jobs.map((j) => j.data.buffer as ArrayBuffer) }
      })
      answers.forEach((answer, i) => {
        const job = sent[i] as Job
        answer.then((analysis) => { settle(job); job.resolve(analysis) }, (error: Error) => { settle(job); job.reject(error) })
          .finally(() => {
            const index = slot.jobs.indexOf(job)
            if (index >= 0) slot.jobs.splice(index, 1)
            pump()
          })
      })
    }
  }

  function submit (image: RgbImage | null, visual: Job['visual'], queries: readonly string[], signal?: AbortSignal): Promise<Analysis> {
    if (closed || started === null) return Promise.reject(new GroundstreamError('GS_ERR_WORKER_CLOSED', 'image worker pool is not running'))
    if (signal?.aborted) return Promise.reject(abortError(signal))
    if (queue.length >= options.maxQueue) return Promise.reject(new GroundstreamError('GS_ERR_TIMEOUT', `image worker queue full (${options.maxQueue})`, { retriable: true }))
    return new Promise<Analysis>((resolve, reject) => {
      const job: Job = {
        image,
        visual,
        queries: [...queries],
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = queue.indexOf(job)
          if (index >= 0) queue.splice(index, 1)
          // A running job keeps its worker until it finishes; its result is then ignored.
          job.resolve = () => undefined
          job.reject = () => undefined
          settle(job)
          reject(abortError(signal))
        }
      }
      signal?.addEventListener('abort', job.onAbort, { once: true })
      queue.push(job)
      pump()
    })
  }

  return Object.freeze({
    async init (): Promise<void> {
      // A pool closed before it started (another stage failed first) starts no workers.
      if (closed) throw new GroundstreamError('GS_ERR_WORKER_CLOSED', 'image worker pool closed before it started')
      if (started === null) {
        started = Promise.all(Array.from({ length: options.workers }, async () => {
          const slot = await spawn()
          slots.push(slot)
        })).then(() => undefined)
      }
      await started
    },
    analyse (image: RgbImage, queries: readonly string[], signal?: AbortSignal): Promise<Analysis> {
      return submit(image, null, queries, signal)
    },
    relate (visual: { regions: ImageRegion[], description: string }, queries: readonly string[], signal?: AbortSignal): Promise<Analysis> {
      return submit(null, visual, queries, signal)
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      for (const job of queue.splice(0)) { settle(job); job.reject(new GroundstreamError('GS_ERR_SHUTDOWN', 'image worker pool closed')) }
      // Closed while starting (another stage failed its init): wait for the workers being spawned, so
      // none is left running to keep the process alive; a failed start has nothing more to close.
      await started?.catch(() => undefined)
      await Promise.all(slots.splice(0).map(async (slot) => { await slot.rpc.close() }))
    }
  })
}
