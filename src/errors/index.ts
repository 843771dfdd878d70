// One error type for the whole service. Every error carries a stable `code`
// (GS_ERR_*), whether retrying could help, and the library error it wraps, so
// callers branch on codes instead of message text (as undici and kafkajs do).

export type ErrorCode =
  | 'GS_ERR_CONFIG'
  | 'GS_ERR_USAGE'
  | 'GS_ERR_INVALID_POST'
  | 'GS_ERR_MODEL_MISSING'
  | 'GS_ERR_MODEL_INVALID'
  | 'GS_ERR_INFERENCE'
  | 'GS_ERR_WORKER_CLOSED'
  | 'GS_ERR_DATASET'
  | 'GS_ERR_KAFKA'
  | 'GS_ERR_SINK'
  | 'GS_ERR_SINK_REJECTED'
  | 'GS_ERR_KNOWLEDGE_SOURCE'
  | 'GS_ERR_KNOWLEDGE_TIMEOUT'
  | 'GS_ERR_CIRCUIT_OPEN'
  | 'GS_ERR_IMAGE_REFUSED'
  | 'GS_ERR_IMAGE_FETCH'
  | 'GS_ERR_IMAGE_DECODE'
  | 'GS_ERR_SHUTDOWN'
  | 'GS_ERR_TIMEOUT'
  | 'GS_ERR_API_INVALID'
  | 'GS_ERR_SEARCH'
  | 'GS_ERR_OVERLOADED'

export interface GroundstreamErrorOptions {
  retriable?: boolean
  cause?: unknown
  details?: Readonly<Record<string, unknown>>
}

export class GroundstreamError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor (code: ErrorCode, message: string, options: GroundstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GroundstreamError'
    this.code = code
    this.retriable = options.retriable ?? false
    this.details = Object.freeze({ ...(options.details ?? {}) })
  }
}

export function isGroundstreamError (value: unknown, code?: ErrorCode): value is GroundstreamError {
  return value instanceof GroundstreamError && (code === undefined || value.code === code)
}

/** Wraps anything thrown by a library at the point it enters our code. */
export function wrapError (code: ErrorCode, message: string, cause: unknown, retriable = false): GroundstreamError {
  if (cause instanceof GroundstreamError) return cause
  const causeMessage = cause instanceof Error ? cause.message : String(cause)
  return new GroundstreamError(code, `${message}: ${causeMessage}`, { cause, retriable })
}

export function errorMessage (value: unknown): string {
  return value instanceof Error ? value.message : String(value)
}
