// Messages between the main thread and the text-model worker.
import type { ErrorCode } from '../errors/index.js'
import type { SetResult, SpanRequest, SpanResult, TextModelsInfo, TypeRequest, TypeResult } from './text-engine.js'

export type WorkerRequest =
  | { id: number, method: 'detectSpans', requests: SpanRequest[], options: { withProbabilities?: boolean } }
  | { id: number, method: 'recogniseSet', requests: SpanRequest[] }
  | { id: number, method: 'recogniseTypes', requests: TypeRequest[] }
  | { id: number, method: 'close' }

export type WorkerReply =
  | { type: 'ready', info: TextModelsInfo }
  | { type: 'init-failed', message: string, code: ErrorCode }
  | { type: 'result', id: number, result: SpanResult[] | SetResult[] | TypeResult[] | null }
  | { type: 'error', id: number, message: string, code: ErrorCode }
