// Messages between the image stage and its inference workers.
import type { ImageRegion } from '../contracts/index.js'
import type { Analysis } from './analyse.js'
import type { EngineConfig } from './engine.js'

export interface WorkerInit {
  engine: EngineConfig
  topK: number
}

export interface AnalyseJob {
  id: number
  data: Uint8Array
  width: number
  height: number
  queries: string[]
}

/** Similarity only, for an image whose regions came from the analysis cache. */
export interface RelateJob {
  id: number
  regions: ImageRegion[]
  description: string
  queries: string[]
}

/** Several images at once: the detector runs over them as one batch; relate jobs need no image. */
export interface AnalyseRequest {
  type: 'analyse'
  jobs: AnalyseJob[]
  relate?: RelateJob[]
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init_error', code: string, message: string }
  | { type: 'result', id: number, analysis: Analysis }
  | { type: 'error', id: number, code: string, message: string }
