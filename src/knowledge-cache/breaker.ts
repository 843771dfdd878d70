// A knowledge source's circuit breaker: cockatiel's, opened by consecutive
// failures. After `failureThreshold` failed calls in a row the upstream is not
// called for `resetMs`; then one trial call decides between closing again and
// another open period. Shields a struggling upstream and keeps a dead one from
// costing every lookup its full timeout.
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel'
import { GroundstreamError } from '../errors/index.js'
import type { BreakerEvent } from './instrumentation.js'

export type BreakerState = BreakerEvent['state']

export interface SourceBreakerOptions {
  name: string
  failureThreshold: number
  resetMs: number
  /** Which errors count against the upstream (a bad request does not). */
  isFailure: (error: unknown) => boolean
  onStateChange?: (state: BreakerState) => void
}

export interface SourceBreaker {
  /** `half_open` once the open period is over: the next call is the trial. */
  readonly state: BreakerState
  /** Runs `operation` unless the breaker is open; then throws `GS_ERR_CIRCUIT_OPEN` without calling it. */
  call<T> (operation: () => Promise<T>): Promise<T>
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open'
}

function circuitOpen (name: string, cause?: unknown): GroundstreamError {
  return new GroundstreamError('GS_ERR_CIRCUIT_OPEN', `circuit for ${name} is open`, { cause, retriable: false, details: { source: name } })
}

export function createSourceBreaker (options: SourceBreakerOptions): SourceBreaker {
  const policy = circuitBreaker(handleWhen(options.isFailure), {
    halfOpenAfter: options.resetMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold)
  })
  // cockatiel moves to half-open only when the next call arrives (timed by Date.now()); the state says so as soon as it would.
  let openedAt = 0
  policy.onBreak(() => { openedAt = Date.now() })
  if (options.onStateChange !== undefined) {
    const notify = options.onStateChange
    policy.onStateChange((state) => { notify(STATE_NAMES[state]) })
  }
  return {
    get state () {
      if (policy.state === CircuitState.Open && Date.now() - openedAt >= options.resetMs) return 'half_open'
      return STATE_NAMES[policy.state]
    },
    async call<T> (operation: () => Promise<T>): Promise<T> {
      // While the trial runs, others fail fast instead of queueing behind it (cockatiel would make them wait).
      if (policy.state === CircuitState.HalfOpen) throw circuitOpen(options.name)
      try {
        return await policy.execute(async () => await operation())
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw circuitOpen(options.name, error)
        throw error
      }
    }
  }
}
