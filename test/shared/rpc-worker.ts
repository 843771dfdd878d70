// A tiny worker for the worker-rpc tests: echoes, fails with a code, answers
// each id of a call on its own, or dies.
import { GroundstreamError } from '../../src/errors/index.js'
import { serveWorker } from '../../src/shared/index.js'

serveWorker<{ fail?: boolean }>(async (init) => {
  if (init.fail === true) throw new GroundstreamError('GS_ERR_MODEL_MISSING', 'model not found: /nonexistent/model.onnx')
  return {
    info: { loaded: 'fake' },
    async call (method, payload, reply) {
      if (method === 'echo') return payload
      if (method === 'slow') { await new Promise((resolve) => setTimeout(resolve, 100)); return 'slow done' }
      if (method === 'fail') throw new GroundstreamError('GS_ERR_INFERENCE', 'bad input')
      if (method === 'each') {
        const [first, ...rest] = reply.ids
        if (first !== undefined) reply.result(first, 'first')
        // The rest are left to the error below, as an image batch that failed midway.
        if (rest.length > 0) throw new GroundstreamError('GS_ERR_INFERENCE', 'batch failed after the first')
        return undefined
      }
      if (method === 'die') process.exit(3)
      throw new GroundstreamError('GS_ERR_INFERENCE', `no method ${method}`)
    },
    close: async () => {}
  }
}, { initErrorCode: 'GS_ERR_MODEL_INVALID', callErrorCode: 'GS_ERR_INFERENCE' })
