// The one retry policy of the service (sink writes, knowledge sources):
// exponential backoff with jitter and a cap, driven by each error's
// `retriable` flag, the final error carrying the attempt count and the last
// cause (the kafkajs retrier's shape). cockatiel decides which errors are
// retried, counts attempts and stops when the caller's signal aborts; the wait
// between attempts is ours, in front of each retry, because cockatiel's own
// backoff wait (RetryPolicy.execute in 3.x) cannot be cut short by the signal,
// and a caller's deadline must always win over a backoff.
import { handleWhen, retry as retryPolicy } from 'cockatiel'
import { GroundstreamError, isGroundstreamError } from '../errors/index.js'

export interface RetryOptions {
  /** Attempts after the first: 0 never retries; Infinity retries until `signal` aborts. */
  retries: number
  initialDelayMs: number
  maxDelayMs: number
  /** Growth of the backoff ceiling per attempt; 2 unless said. */
  factor?: number
  signal?: AbortSignal
  /** [0, 1); injected so tests are deterministic. */
  random?: () => number
  /** Injected so tests need not wait; must reject when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Called before each wait, with the attempt that failed (1-based) and its error. */
  onRetry?: (info: { attempt: number, delayMs: number, error: unknown }) => void
  /** Turns what the operation threw into a coded error (wrap library errors where they enter); by default left as is. */
  wrap?: (error: unknown) => unknown
  /** The error thrown when the signal ends a backoff; by default the last attempt's error. */
  abortError?: (signal: AbortSignal) => unknown
}

/** Resolves after ms, or early (without an error) when the signal aborts: for loops that check the signal themselves. */
export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal).catch(() => undefined)
}

/** Resolves after ms, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Delay before retrying after failed attempt number `attempt` (1-based): half fixed, half jittered, so never zero and never in lock-step with other clients. */
export function backoffDelay (attempt: number, options: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor' | 'random'>): number {
  const factor = options.factor ?? 2
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * factor ** Math.max(0, attempt - 1))
  const random = options.random ?? Math.random
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}

function isRetriable (error: unknown): boolean {
  return isGroundstreamError(error) ? error.retriable : false
}

/** Marks a backoff ended by the signal, so cockatiel does not retry it. */
class BackoffAborted {
  constructor (readonly reason: unknown) {}
}

export async function retry<T> (operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  if (!(options.retries >= 0)) throw new RangeError('retries must be >= 0')
  const wait = options.sleep ?? abortableSleep
  const wrap = options.wrap ?? ((error: unknown) => error)
  const policy = retryPolicy(handleWhen(isRetriable), { maxAttempts: options.retries })
  let attempts = 0
  let last: unknown
  try {
    return await policy.execute(async () => {
      if (attempts > 0) {
        const hinted = isGroundstreamError(last) ? last.details.retryAfterMs : undefined
        const delayMs = typeof hinted === 'number' ? Math.min(options.maxDelayMs, hinted) : backoffDelay(attempts, options)
        options.onRetry?.({ attempt: attempts, delayMs, error: last })
        try {
          await wait(delayMs, options.signal)
        } catch (reason) {
          throw new BackoffAborted(reason)
        }
        // A sleep that resolves on abort must not start another attempt either.
        if (options.signal?.aborted === true) throw new BackoffAborted(options.signal.reason)
      }
      attempts++
      try {
        return await operation(attempts)
      } catch (error) {
        last = wrap(error)
        throw last
      }
    }, options.signal)
  } catch (error) {
    if (error instanceof BackoffAborted && options.abortError !== undefined && options.signal !== undefined) throw options.abortError(options.signal)
    const final = error instanceof BackoffAborted ? last : error
    if (attempts <= 1 || !isGroundstreamError(final)) throw final
    throw new GroundstreamError(final.code, `${final.message} (after ${attempts} attempts)`, {
      cause: final,
      retriable: final.retriable,
      details: { ...final.details, attempts }
    })
  }
}
