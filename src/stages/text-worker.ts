// Worker-thread entry: owns the ONNX sessions so their blocking run() never
// stalls the main event loop (Kafka heartbeats, HTTP, metrics).
import { parentPort, workerData } from 'node:worker_threads'
import { errorMessage, isGroundstreamError } from '../errors/index.js'
import type { TextModelsConfig } from './config.js'
import { createTextEngine, type TextModels } from './text-engine.js'
import type { WorkerReply, WorkerRequest } from './text-worker-protocol.js'

async function serve (): Promise<void> {
  const port = parentPort
  if (port === null) throw new Error('text-worker must run inside a worker thread')
  let engine: TextModels
  try {
    engine = await createTextEngine(workerData as TextModelsConfig)
  } catch (error) {
    port.postMessage({ type: 'init-failed', message: errorMessage(error), code: isGroundstreamError(error) ? error.code : 'GS_ERR_INFERENCE' } satisfies WorkerReply)
    return
  }
  port.postMessage({ type: 'ready', info: engine.info } satisfies WorkerReply)
  // Requests are answered strictly one after another: a session runs one
  // batch at a time and intra-op threads already use the cores.
  let queue = Promise.resolve()
  port.on('message', (request: WorkerRequest) => {
    queue = queue.then(async () => {
      try {
        if (request.method === 'close') {
          await engine.close()
          port.postMessage({ type: 'result', id: request.id, result: null } satisfies WorkerReply)
          port.close()
          return
        }
        const result = request.method === 'detectSpans'
          ? await engine.detectSpans(request.requests, request.options)
          : request.method === 'recogniseSet'
            ? await engine.recogniseSet(request.requests)
            : await engine.recogniseTypes(request.requests)
        port.postMessage({ type: 'result', id: request.id, result } satisfies WorkerReply)
      } catch (error) {
        port.postMessage({
          type: 'error',
          id: request.id,
          message: errorMessage(error),
          code: isGroundstreamError(error) ? error.code : 'GS_ERR_INFERENCE'
        } satisfies WorkerReply)
      }
    })
  })
}

void serve()
