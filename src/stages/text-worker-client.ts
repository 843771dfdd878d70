// The main thread's handle on the text-model worker. Same interface as the
// in-process engine, so stages do not care where inference runs.
import { startWorker } from '../shared/index.js'
import type { TextModelsConfig } from './config.js'
import type { SetResult, SpanRequest, SpanResult, TextModels, TextModelsInfo, TypeRequest, TypeResult } from './text-engine.js'

export async function createWorkerTextModels (config: TextModelsConfig): Promise<TextModels> {
  const rpc = await startWorker<TextModelsInfo>(new URL('./text-worker.js', import.meta.url), { name: 'text-model worker', workerData: config })
  return Object.freeze({
    info: rpc.info,
    detectSpans: async (requests: readonly SpanRequest[], options: { withProbabilities?: boolean } = {}) =>
      await rpc.call<SpanResult[]>('detectSpans', { requests: [...requests], options }),
    recogniseSet: async (requests: readonly SpanRequest[]) =>
      await rpc.call<SetResult[]>('recogniseSet', { requests: [...requests] }),
    recogniseTypes: async (requests: readonly TypeRequest[]) =>
      await rpc.call<TypeResult[]>('recogniseTypes', { requests: [...requests] }),
    close: async () => { await rpc.close() }
  })
}
