// One retry policy for the service: exponential backoff with full jitter and a
// cap, driven by each error's `retriable` flag; the final error carries the
// attempt count and the last cause (the kafkajs retrier's shape).
import { GroundstreamError, isGroundstreamError } from '../errors/index.js'

export interface RetryOptions {
  initialMs: number
  maxMs: number
  factor?: number
  /** Retries after the first attempt; 0 means until `signal` aborts. */
  retries: number
  random?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  signal?: AbortSignal
  /** Called before each wait, with the error that caused it. */
  onRetry?: (info: { attempt: number, delayMs: number, error: unknown }) => void
}

export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) { resolve(); return }
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

export function backoffDelay (attempt: number, options: Pick<RetryOptions, 'initialMs' | 'maxMs' | 'factor' | 'random'>): number {
  const factor = options.factor ?? 2
  const ceiling = Math.min(options.maxMs, options.initialMs * factor ** Math.max(0, attempt - 1))
  const random = options.random ?? Math.random
  // Half fixed, half jittered: never zero, never in lock-step with other clients.
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}

function isRetriable (error: unknown): boolean {
  return isGroundstreamError(error) ? error.retriable : false
}

export async function retry<T> (fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      const exhausted = options.retries > 0 && attempt > options.retries
      if (!isRetriable(error) || exhausted || options.signal?.aborted === true) {
        if (attempt === 1 || !isGroundstreamError(error)) throw error
        throw new GroundstreamError(error.code, `${error.message} (after ${attempt} attempts)`, {
          cause: error,
          retriable: error.retriable,
          details: { ...error.details, attempts: attempt }
        })
      }
      const delayMs = backoffDelay(attempt, options)
      options.onRetry?.({ attempt, delayMs, error })
      await wait(delayMs, options.signal)
    }
  }
}
