// Inference worker: onnxruntime-node's run() blocks the thread it runs on, so
// detector, OCR and embedder live here, off the partition's event loop. The
// protocol is shared/worker-rpc; each `analyse` call is answered per image.
import { GroundstreamError } from '../errors/index.js'
import { serveWorker } from '../shared/index.js'
import { analyseImages, relateRegions } from './analyse.js'
import { createImageEngine } from './engine.js'
import type { AnalysePayload, WorkerInit } from './pool.js'

serveWorker<WorkerInit>(async (init) => {
  const engine = await createImageEngine(init.engine)
  return {
    async call (method, payload, reply) {
      if (method !== 'analyse') throw new GroundstreamError('GS_ERR_INFERENCE', `image worker has no method ${method}`)
      const message = payload as AnalysePayload
      // Cached images first: they only need the embedder, so they never wait for a detector batch.
      try {
        for (const job of message.relate) {
          const similarity = await relateRegions(engine, job.regions, job.queries)
          reply.result(job.id, { regions: job.regions, description: job.description, similarity })
        }
      } catch (error) {
        for (const job of message.relate) reply.error(job.id, error)
      }
      if (message.jobs.length === 0) return undefined
      const jobs = message.jobs.map((job) => ({ image: { data: job.data, width: job.width, height: job.height }, queries: job.queries }))
      // Images left unanswered when this throws are answered with the error by serveWorker.
      await analyseImages(engine, jobs, init.topK, (i, analysis) => {
        reply.result((message.jobs[i] as { id: number }).id, analysis)
      })
      return undefined
    },
    close: async () => { await engine.dispose() }
  }
}, { initErrorCode: 'GS_ERR_MODEL_INVALID', callErrorCode: 'GS_ERR_INFERENCE' })
