// The main thread's handle on the text-model workers. Same interface as the
// in-process engine, so stages do not care where inference runs.
//
// With more than one worker (textModels.workers), each call is split across
// them: a worker with one intra-op thread runs its share while the other
// runs the rest. On small runs of short sequences this beats one session
// with two threads, which pays a thread handoff on every one of a graph's
// ~1,000 nodes (docs/operations.md). The models are batch-invariant, so how
// a call is split never changes an answer.
import { startWorker, type WorkerRpc } from '../shared/index.js'
import type { TextModelsConfig } from './config.js'
import type { SetResult, SpanRequest, SpanResult, TextModels, TextModelsInfo, TypeRequest, TypeResult } from './text-engine.js'

/**
 * Deals `sizes` (one per request) out to `shares` groups: sorted by size and
 * dealt round-robin, so every group gets a like mix of short and long inputs
 * (each worker then cuts its share into runs by length). Empty groups are left out.
 */
export function splitForWorkers (sizes: readonly number[], shares: number): number[][] {
  const order = sizes.map((_, i) => i).sort((a, b) => (sizes[a] as number) - (sizes[b] as number) || a - b)
  const groups: number[][] = Array.from({ length: shares }, () => [])
  order.forEach((index, k) => { (groups[k % shares] as number[]).push(index) })
  return groups.filter((group) => group.length > 0)
}

export async function createWorkerTextModels (config: TextModelsConfig): Promise<TextModels> {
  const started = await Promise.allSettled(Array.from({ length: config.workers }, async (_, i) =>
    await startWorker<TextModelsInfo>(new URL('./text-worker.js', import.meta.url), { name: config.workers === 1 ? 'text-model worker' : `text-model worker ${i + 1}`, workerData: config })))
  const workers = started.flatMap((result) => result.status === 'fulfilled' ? [result.value] : [])
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed !== undefined) {
    await Promise.all(workers.map(async (rpc) => { await rpc.close() }))
    throw failed.reason
  }
  const first = workers[0] as WorkerRpc<TextModelsInfo>

  /** One call split across the workers by `sizeOf`, answers back in request order. */
  async function fanOut<Req, Res> (method: string, requests: readonly Req[], sizeOf: (request: Req) => number, extra: Record<string, unknown> = {}): Promise<Res[]> {
    const groups = splitForWorkers(requests.map(sizeOf), workers.length)
    const answers = await Promise.all(groups.map(async (group, w) =>
      await (workers[w] as WorkerRpc<TextModelsInfo>).call<Res[]>(method, { ...extra, requests: group.map((i) => requests[i] as Req) })))
    const results: Res[] = new Array(requests.length)
    groups.forEach((group, w) => group.forEach((index, k) => { results[index] = (answers[w] as Res[])[k] as Res }))
    return results
  }
  const words = (request: SpanRequest): number => request.words.length
  const promptWords = (request: TypeRequest): number => request.sentenceWords.length + request.entityWords.length + request.knowledge.length / 6

  return Object.freeze({
    info: first.info,
    detectSpans: async (requests: readonly SpanRequest[], options: { withProbabilities?: boolean } = {}) =>
      await fanOut<SpanRequest, SpanResult>('detectSpans', requests, words, { options }),
    recogniseSet: async (requests: readonly SpanRequest[]) =>
      await fanOut<SpanRequest, SetResult>('recogniseSet', requests, words),
    recogniseTypes: async (requests: readonly TypeRequest[]) =>
      await fanOut<TypeRequest, TypeResult>('recogniseTypes', requests, promptWords),
    close: async () => { await Promise.all(workers.map(async (rpc) => { await rpc.close() })) }
  })
}
