// Token bucket for politeness towards a public API: `ratePerSecond` sustained,
// `burst` at once. Waiting callers queue in order and give up with their signal.
import { abortableSleep } from '../shared/index.js'
import { abortReason } from './abort.js'
import type { Clock } from '../shared/index.js'

export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #clock: Clock
  #tokens: number
  #updatedAt: number
  #queue: Promise<void> = Promise.resolve()

  constructor (ratePerSecond: number, burst: number, clock: Clock) {
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#clock = clock
    this.#tokens = burst
    this.#updatedAt = clock.now()
  }

  /** Resolves when a token has been taken; rejects if the signal aborts first. */
  take (signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#takeNow(signal))
    // The queue must survive a waiter that aborted.
    this.#queue = turn.catch(() => undefined)
    return turn
  }

  async #takeNow (signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.#clock.now()
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#rate / 1000)
      this.#updatedAt = now
      if (this.#tokens >= 1) {
        this.#tokens -= 1
        return
      }
      await abortableSleep(Math.ceil((1 - this.#tokens) * 1000 / this.#rate), signal).catch(() => { throw abortReason(signal) })
    }
  }
}
