// Inference worker: onnxruntime-node's run() blocks the thread it runs on, so
// detector, OCR and embedder live here, off the partition's event loop.
import { parentPort, workerData } from 'node:worker_threads'
import { isGroundstreamError, errorMessage } from '../errors/index.js'
import { analyseImages } from './analyse.js'
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
  analyseImages(current, jobs, init.topK, (i, analysis) => {
    const id = (message.jobs[i] as { id: number }).id
    answered.add(id)
    post({ type: 'result', id, analysis })
  }).catch((error: unknown) => {
    const code = isGroundstreamError(error) ? error.code : 'GS_ERR_INFERENCE'
    for (const job of message.jobs) if (!answered.has(job.id)) post({ type: 'error', id: job.id, code, message: errorMessage(error) })
  })
})
