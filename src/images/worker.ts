// Inference worker: onnxruntime-node's run() blocks the thread it runs on, so
// detector, OCR and embedder live here, off the partition's event loop.
import { parentPort, workerData } from 'node:worker_threads'
import { isGroundstreamError, errorMessage } from '../errors/index.js'
import { analyseImage } from './analyse.js'
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
})

port.on('message', (message: AnalyseRequest | { type: 'close' }) => {
  if (message.type === 'close') {
    const closing = engine?.dispose() ?? Promise.resolve()
    closing.finally(() => port.close()).catch(() => port.close())
    return
  }
  const current = engine
  if (current === null) {
    post({ type: 'error', id: message.id, code: 'GS_ERR_WORKER_CLOSED', message: 'engine not loaded' })
    return
  }
  analyseImage(current, { data: message.data, width: message.width, height: message.height }, message.queries, init.topK).then(
    (analysis) => { post({ type: 'result', id: message.id, analysis }) },
    (error: unknown) => { post({ type: 'error', id: message.id, code: isGroundstreamError(error) ? error.code : 'GS_ERR_INFERENCE', message: errorMessage(error) }) }
  )
})
