// One retry policy for the cache's network calls: exponential backoff with
// full jitter, capped, driven by each error's `retriable` flag (as kafkajs
// does), and abortable so a caller's deadline always wins over a backoff.
import { GroundstreamError, isGroundstreamError, wrapError } from '../errors/index.js'

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  baseDelayMs: number
  maxDelayMs: number
  signal?: AbortSignal
  /** [0, 1); injected so tests are deterministic. */
  random?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** Resolves after ms, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortReason(signal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function abortReason (signal: AbortSignal | undefined): GroundstreamError {
  const reason: unknown = signal?.reason
  if (reason instanceof GroundstreamError) return reason
  return new GroundstreamError('GS_ERR_KNOWLEDGE_TIMEOUT', 'knowledge lookup aborted', { cause: reason, retriable: false })
}

/** Delay before retry number `attempt` (1-based): full jitter over an exponential ceiling. */
export function backoffDelay (attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
  const random = options.random ?? Math.random
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}

export async function retry<T> (operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? abortableSleep
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      const wrapped = wrapError('GS_ERR_KNOWLEDGE_SOURCE', 'knowledge source call failed', error)
      const canRetry = wrapped.retriable && attempt <= options.retries && options.signal?.aborted !== true
      if (!canRetry) {
        if (attempt === 1) throw wrapped
        throw new GroundstreamError(wrapped.code, `${wrapped.message} (after ${attempt} attempts)`, {
          cause: wrapped,
          retriable: wrapped.retriable,
          details: { ...wrapped.details, attempts: attempt }
        })
      }
      const hinted = isGroundstreamError(wrapped) ? wrapped.details.retryAfterMs : undefined
      const delay = typeof hinted === 'number'
        ? Math.min(options.maxDelayMs, hinted)
        : backoffDelay(attempt, options)
      await sleep(delay, options.signal)
    }
  }
}
