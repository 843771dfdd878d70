// One flight per key: callers that want the same key's answer while it is
// being worked out share one promise instead of doing the work again (a
// knowledge lookup, an image's analysis). A flight leaves as it settles,
// fulfilled or rejected, so the next caller starts afresh.

export class SingleFlight<V> {
  readonly #flights = new Map<string, Promise<V>>()

  /** Flights running now. */
  get size (): number {
    return this.#flights.size
  }

  /** The flight running for `key`, or a new one from `start`; `joined` is true for the former. */
  run (key: string, start: () => Promise<V>): { promise: Promise<V>, joined: boolean } {
    const running = this.#flights.get(key)
    if (running !== undefined) return { promise: running, joined: true }
    const promise = start().finally(() => { this.#flights.delete(key) })
    // Whoever started it may stop waiting; a rejection nobody awaits is not a crash.
    promise.catch(() => undefined)
    this.#flights.set(key, promise)
    return { promise, joined: false }
  }
}

/**
 * `promise`'s outcome, or `onAbort()`'s (its value, or what it throws) once
 * `signal` aborts first. The promise itself goes on for whoever else waits.
 */
export async function unlessAborted<T> (promise: Promise<T>, signal: AbortSignal, onAbort: () => T): Promise<T> {
  if (signal.aborted) return onAbort()
  let listener: (() => void) | undefined
  try {
    return await Promise.race([promise, new Promise<T>((resolve, reject) => {
      listener = () => {
        try {
          resolve(onAbort())
        } catch (error) {
          reject(error)
        }
      }
      signal.addEventListener('abort', listener, { once: true })
    })])
  } finally {
    if (listener !== undefined) signal.removeEventListener('abort', listener)
  }
}
