// Inference worker: onnxruntime-node's run() blocks the thread it runs on, so
// detector, OCR and embedder live here, off the partition's event loop.
import { parentPort, workerData } from 'node:worker_threads'
import { isGroundstreamError, errorMessage } from '../errors/index.js'
import { analyseImages, relateRegions } from './analyse.js'
import { createImageEngine, type ImageEngine } from './engine.js'
import type { AnalyseRequest, WorkerInit, WorkerReply } from './worker-protocol.js'

const port = parentPort
if (port === null) throw new Error('worker.ts must run as a worker thread')
const init = workerData as WorkerInit

function post (reply: WorkerReply): void {
  port?.postMessage(reply)
}

let engine: ImageEngine | null = null
createImageEngine(init.engine).then((e) => {
  engine = e
  post({ type: 'ready' })
}, (error: unknown) => {
  post({ type: 'init_error', code: isGroundstreamError(error) ? error.code : 'GS_ERR_MODEL_INVALID', message: errorMessage(error) })
  // Leave on our own once nothing is loading: terminate() from outside can hit onnxruntime mid-call.
  port.close()
})

port.on('message', (message: AnalyseRequest | { type: 'close' }) => {
  if (message.type === 'close') {
    const closing = engine?.dispose() ?? Promise.resolve()
    closing.finally(() => port.close()).catch(() => port.close())
    return
  }
  const current = engine
  if (current === null) {
    for (const job of message.jobs) post({ type: 'error', id: job.id, code: 'GS_ERR_WORKER_CLOSED', message: 'engine not loaded' })
    return
  }
  const jobs = message.jobs.map((job) => ({ image: { data: job.data, width: job.width, height: job.height }, queries: job.queries }))
  const answered = new Set<number>()
  const relate = message.relate ?? []
  const fail = (ids: readonly number[], error: unknown): void => {
    const code = isGroundstreamError(error) ? error.code : 'GS_ERR_INFERENCE'
    for (const id of ids) if (!answered.has(id)) post({ type: 'error', id, code, message: errorMessage(error) })
  }
  // Cached images first: they only need the embedder, so they never wait for a detector batch.
  const related = relate.reduce(async (previous, job) => {
    await previous
    const similarity = await relateRegions(current, job.regions, job.queries)
    answered.add(job.id)
    post({ type: 'result', id: job.id, analysis: { regions: job.regions, description: job.description, similarity } })
  }, Promise.resolve()).catch((error: unknown) => { fail(relate.map((job) => job.id), error) })
  related.then(async () => {
    if (jobs.length === 0) return
    await analyseImages(current, jobs, init.topK, (i, analysis) => {
      const id = (message.jobs[i] as { id: number }).id
      answered.add(id)
      post({ type: 'result', id, analysis })
    })
  }).catch((error: unknown) => { fail(message.jobs.map((job) => job.id), error) })
})
