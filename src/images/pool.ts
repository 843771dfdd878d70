// A small pool of inference workers with a bounded queue. A job whose caller
// gives up (the per-post budget) leaves the queue at once; one already running
// finishes in its worker and its result is dropped, so a slow image costs at
// most its budget to the partition and never more than one worker's time.
import { Worker } from 'node:worker_threads'
import type { ErrorCode } from '../errors/index.js'
import { GroundstreamError } from '../errors/index.js'
import type { ImageRegion } from '../contracts/index.js'
import type { Analysis } from './analyse.js'
import type { RgbImage } from './engine.js'
import type { AnalyseRequest, WorkerInit, WorkerReply } from './worker-protocol.js'

export interface ImageAnalyser {
  init (): Promise<void>
  analyse (image: RgbImage, queries: readonly string[], signal?: AbortSignal): Promise<Analysis>
  /** Similarity of the queries to regions already known (a cached analysis); no detector, no OCR. */
  relate (visual: { regions: ImageRegion[], description: string }, queries: readonly string[], signal?: AbortSignal): Promise<Analysis>
  close (): Promise<void>
}

interface Job {
  id: number
  image: RgbImage | null
  visual: { regions: ImageRegion[], description: string } | null
  queries: string[]
  signal: AbortSignal | undefined
  resolve: (a: Analysis) => void
  reject: (e: Error) => void
  onAbort: () => void
}

interface Slot {
  worker: Worker
  /** Jobs sent to this worker and not yet answered (one detector batch). */
  jobs: Job[]
  ready: boolean
  /** Loaded its models once; only such a worker is replaced when it dies. */
  wasReady: boolean
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
  let nextId = 1
  let started: Promise<void> | null = null
  let closed = false

  function settle (job: Job): void {
    job.signal?.removeEventListener('abort', job.onAbort)
  }

  function spawn (): Promise<Slot> {
    const worker = new Worker(url, { workerData: options.init })
    const slot: Slot = { worker, jobs: [], ready: false, wasReady: false }
    return new Promise<Slot>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          slot.ready = true
          slot.wasReady = true
          resolve(slot)
          pump()
          return
        }
        if (reply.type === 'init_error') {
          // The worker exits by itself after this reply.
          reject(new GroundstreamError(reply.code as ErrorCode, `image worker failed to load models: ${reply.message}`))
          return
        }
        const index = slot.jobs.findIndex((j) => j.id === reply.id)
        if (index >= 0) {
          const job = slot.jobs.splice(index, 1)[0] as Job
          settle(job)
          if (reply.type === 'result') job.resolve(reply.analysis)
          else job.reject(new GroundstreamError(reply.code as ErrorCode, reply.message))
        }
        pump()
      })
      worker.on('error', (error) => {
        slot.ready = false
        for (const job of slot.jobs.splice(0)) { settle(job); job.reject(new GroundstreamError('GS_ERR_INFERENCE', `image worker crashed: ${error.message}`, { cause: error })) }
        reject(error)
      })
      worker.on('exit', () => {
        const index = slots.indexOf(slot)
        if (index >= 0) slots.splice(index, 1)
        for (const job of slot.jobs.splice(0)) { settle(job); job.reject(new GroundstreamError('GS_ERR_WORKER_CLOSED', 'image worker exited')) }
        // Replace a worker that died while the pool is open.
        if (!closed && slot.wasReady) {
          spawn().then((s) => { slots.push(s); pump() }, () => undefined)
        }
      })
    })
  }

  function pump (): void {
    for (const slot of slots) {
      if (!slot.ready || slot.jobs.length > 0) continue
      // Relate-only jobs (cached images) are cheap: all waiting ones go along with the next image batch.
      const relate: Job[] = []
      for (let i = queue.length - 1; i >= 0; i--) if ((queue[i] as Job).image === null) relate.unshift(...queue.splice(i, 1))
      const batch = queue.splice(0, options.batch)
      if (batch.length === 0 && relate.length === 0) return
      slot.jobs = [...relate, ...batch]
      // Copy into fresh buffers: the decoder's buffer may share a pooled ArrayBuffer.
      const jobs = batch.map((job) => {
        const image = job.image as RgbImage
        return { id: job.id, data: new Uint8Array(image.data), width: image.width, height: image.height, queries: job.queries }
      })
      const request: AnalyseRequest = {
        type: 'analyse',
        jobs,
        relate: relate.map((job) => ({ id: job.id, ...(job.visual as { regions: ImageRegion[], description: string }), queries: job.queries }))
      }
      slot.worker.postMessage(request, jobs.map((j) => j.data.buffer as ArrayBuffer))
    }
  }

  function submit (image: RgbImage | null, visual: Job['visual'], queries: readonly string[], signal?: AbortSignal): Promise<Analysis> {
    if (closed || started === null) return Promise.reject(new GroundstreamError('GS_ERR_WORKER_CLOSED', 'image worker pool is not running'))
    if (signal?.aborted) return Promise.reject(abortError(signal))
    if (queue.length >= options.maxQueue) return Promise.reject(new GroundstreamError('GS_ERR_TIMEOUT', `image worker queue full (${options.maxQueue})`, { retriable: true }))
    return new Promise<Analysis>((resolve, reject) => {
      const job: Job = {
        id: nextId++,
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
      await Promise.all(slots.splice(0).map(async (slot) => {
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => { resolve() }))
        slot.worker.postMessage({ type: 'close' })
        const timer = setTimeout(() => { void slot.worker.terminate() }, 5_000)
        await exited
        clearTimeout(timer)
      }))
    }
  })
}
