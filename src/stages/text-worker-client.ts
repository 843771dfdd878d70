// The main thread's handle on the text-model worker. Same interface as the
// in-process engine, so stages do not care where inference runs.
import { Worker } from 'node:worker_threads'
import { GroundstreamError } from '../errors/index.js'
import type { TextModelsConfig } from './config.js'
import type { SetResult, SpanRequest, SpanResult, TextModels, TextModelsInfo, TypeRequest, TypeResult } from './text-engine.js'
import type { WorkerReply, WorkerRequest } from './text-worker-protocol.js'

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

type RequestBody = WorkerRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never

export async function createWorkerTextModels (config: TextModelsConfig): Promise<TextModels> {
  const worker = new Worker(new URL('./text-worker.js', import.meta.url), { workerData: config })
  const pending = new Map<number, Pending>()
  let nextId = 1
  let failure: Error | null = null

  const failAll = (error: Error): void => {
    failure = error
    for (const { reject } of pending.values()) reject(error)
    pending.clear()
  }

  const info = await new Promise<TextModelsInfo>((resolve, reject) => {
    const onMessage = (reply: WorkerReply): void => {
      if (reply.type === 'ready') resolve(reply.info)
      else if (reply.type === 'init-failed') reject(new GroundstreamError(reply.code, reply.message))
      worker.off('message', onMessage)
      worker.off('error', onError)
    }
    const onError = (error: Error): void => reject(new GroundstreamError('GS_ERR_INFERENCE', `text-model worker failed to start: ${error.message}`, { cause: error }))
    worker.on('message', onMessage)
    worker.on('error', onError)
  }).catch(async (error: unknown) => {
    await worker.terminate()
    throw error
  })

  worker.on('message', (reply: WorkerReply) => {
    if (reply.type !== 'result' && reply.type !== 'error') return
    const entry = pending.get(reply.id)
    if (entry === undefined) return
    pending.delete(reply.id)
    if (reply.type === 'result') entry.resolve(reply.result)
    else entry.reject(new GroundstreamError(reply.code, reply.message))
  })
  worker.on('error', (error) => failAll(new GroundstreamError('GS_ERR_INFERENCE', `text-model worker crashed: ${error.message}`, { cause: error })))
  worker.on('exit', (code) => failAll(new GroundstreamError('GS_ERR_WORKER_CLOSED', `text-model worker exited with code ${code}`)))

  function call<T> (body: RequestBody): Promise<T> {
    if (failure !== null) return Promise.reject(failure)
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ ...body, id } as WorkerRequest)
    })
  }

  let closing: Promise<void> | null = null
  function close (): Promise<void> {
    closing ??= (async () => {
      // A worker that dies while releasing its sessions is terminated below all the same.
      if (failure === null) await call<null>({ method: 'close' }).catch(() => undefined)
      await worker.terminate()
    })()
    return closing
  }

  return Object.freeze({
    info,
    detectSpans: (requests: readonly SpanRequest[], options: { withProbabilities?: boolean } = {}) =>
      call<SpanResult[]>({ method: 'detectSpans', requests: [...requests], options }),
    recogniseSet: (requests: readonly SpanRequest[]) =>
      call<SetResult[]>({ method: 'recogniseSet', requests: [...requests] }),
    recogniseTypes: (requests: readonly TypeRequest[]) =>
      call<TypeResult[]>({ method: 'recogniseTypes', requests: [...requests] }),
    close
  })
}
