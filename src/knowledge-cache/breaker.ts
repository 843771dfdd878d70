// A consecutive-failure circuit breaker: after `failureThreshold` failed calls
// in a row the upstream is not called for `resetMs`; then one trial call
// decides between closing again and another open period. Shields a struggling
// upstream and keeps a dead one from costing every lookup its full timeout.
import { GroundstreamError } from '../errors/index.js'
import type { Clock } from './lru.js'

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerOptions {
  name: string
  failureThreshold: number
  resetMs: number
  clock: Clock
  onStateChange?: (state: BreakerState) => void
}

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false

  constructor (options: CircuitBreakerOptions) {
    this.#options = options
  }

  get state (): BreakerState {
    if (this.#state === 'open' && this.#options.clock.now() - this.#openedAt >= this.#options.resetMs) {
      this.#transition('half_open')
    }
    return this.#state
  }

  /** Runs `operation` unless the breaker is open; `isFailure` says which errors count against the upstream. */
  async call<T> (operation: () => Promise<T>, isFailure: (error: unknown) => boolean = () => true): Promise<T> {
    const state = this.state
    if (state === 'open' || (state === 'half_open' && this.#trialInFlight)) {
      throw new GroundstreamError('GS_ERR_CIRCUIT_OPEN', `circuit for ${this.#options.name} is open`, {
        retriable: false,
        details: { source: this.#options.name }
      })
    }
    const trial = state === 'half_open'
    if (trial) this.#trialInFlight = true
    try {
      const result = await operation()
      this.#failures = 0
      if (this.#state !== 'closed') this.#transition('closed')
      return result
    } catch (error) {
      if (isFailure(error)) this.#recordFailure(trial)
      else if (trial) this.#transition('closed')
      throw error
    } finally {
      if (trial) this.#trialInFlight = false
    }
  }

  #recordFailure (trial: boolean): void {
    this.#failures++
    if (trial || this.#failures >= this.#options.failureThreshold) {
      this.#openedAt = this.#options.clock.now()
      this.#transition('open')
    }
  }

  #transition (state: BreakerState): void {
    if (state === this.#state) return
    this.#state = state
    if (state === 'closed') this.#failures = 0
    this.#options.onStateChange?.(state)
  }
}
