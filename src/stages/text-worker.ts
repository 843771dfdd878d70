// Worker-thread entry: owns the ONNX sessions so their blocking run() never
// stalls the main event loop (Kafka heartbeats, HTTP, metrics). Calls are
// answered strictly one after another (shared/worker-rpc): a session runs one
// batch at a time and intra-op threads already use the cores.
import { GroundstreamError } from '../errors/index.js'
import { serveWorker } from '../shared/index.js'
import type { TextModelsConfig } from './config.js'
import { createTextEngine, type SpanRequest, type TypeRequest } from './text-engine.js'

serveWorker<TextModelsConfig>(async (config) => {
  const engine = await createTextEngine(config)
  return {
    info: engine.info,
    async call (method, payload) {
      if (method === 'detectSpans') {
        const { requests, options } = payload as { requests: SpanRequest[], options: { withProbabilities?: boolean } }
        return await engine.detectSpans(requests, options)
      }
      if (method === 'recogniseSet') return await engine.recogniseSet((payload as { requests: SpanRequest[] }).requests)
      if (method === 'recogniseTypes') return await engine.recogniseTypes((payload as { requests: TypeRequest[] }).requests)
      throw new GroundstreamError('GS_ERR_INFERENCE', `text-model worker has no method ${method}`)
    },
    close: async () => { await engine.close() }
  }
}, { initErrorCode: 'GS_ERR_INFERENCE', callErrorCode: 'GS_ERR_INFERENCE' })
