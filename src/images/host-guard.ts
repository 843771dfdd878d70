// Per-host limits for image fetches: at most `maxPerHost` fetches in flight
// to one host (a bulkhead, so one host cannot take every fetch slot), and a
// circuit breaker that stops asking a host whose fetches keep timing out. A
// slow host then costs a few posts' budgets, not every batch's, until the
// breaker lets one probe through after `breakerOpenMs`.
import { BrokenCircuitError, BulkheadRejectedError, CircuitState, ConsecutiveBreaker, TaskCancelledError, bulkhead, circuitBreaker, handleWhen, wrap, type IPolicy } from 'cockatiel'
import { LRUCache } from 'lru-cache'

export interface HostGuardOptions {
  maxPerHost: number
  /** Fetches allowed to wait for a host's slot; more are refused at once. */
  queuePerHost: number
  /** Consecutive timeouts that open a host's breaker. */
  breakerTimeouts: number
  breakerOpenMs: number
  /** Hosts remembered (least recently used forgotten first). */
  maxHosts?: number
}

/** Thrown inside a guarded call to count it as a timeout of its host. */
class HostTimeout extends Error {}

/**
 * Why the guard did not run a fetch: the host's breaker is open after repeated
 * timeouts (`host_failing`), its slots and queue are full (`host_busy`), or the
 * post's budget ran out while it waited for a slot (`budget`, a timeout of the
 * post rather than a refusal of the host).
 */
export type GuardRefusalKind = 'host_failing' | 'host_busy' | 'budget'

export interface GuardRefusal { refused: true, kind: GuardRefusalKind, reason: string }

export interface HostGuard {
  /** Runs `fn` under the host's limits; a refusal (breaker open, host queue full) is returned, not thrown. */
  run<T> (url: string, fn: () => Promise<T>, isTimeout: (value: T) => boolean, signal?: AbortSignal): Promise<T | GuardRefusal>
  /** Hosts whose breaker is open now. */
  openHosts (): string[]
}

export function isRefusal (value: unknown): value is GuardRefusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true
}

class TimedOut<T> extends HostTimeout {
  constructor (readonly value: T) { super('host timed out') }
}

export function createHostGuard (options: HostGuardOptions): HostGuard {
  const policies = new LRUCache<string, { policy: IPolicy, breaker: ReturnType<typeof circuitBreaker> }>({ max: options.maxHosts ?? 10_000 })

  function policyFor (host: string): { policy: IPolicy, breaker: ReturnType<typeof circuitBreaker> } {
    let entry = policies.get(host)
    if (entry === undefined) {
      const breaker = circuitBreaker(handleWhen((error) => error instanceof HostTimeout), {
        halfOpenAfter: options.breakerOpenMs,
        breaker: new ConsecutiveBreaker(options.breakerTimeouts)
      })
      entry = { policy: wrap(breaker, bulkhead(options.maxPerHost, options.queuePerHost)), breaker }
      policies.set(host, entry)
    }
    return entry
  }

  return Object.freeze({
    async run<T> (url: string, fn: () => Promise<T>, isTimeout: (value: T) => boolean, signal?: AbortSignal): Promise<T | GuardRefusal> {
      let host: string
      try {
        host = new URL(url).host
      } catch {
        return await fn()
      }
      try {
        return await policyFor(host).policy.execute(async () => {
          const value = await fn()
          if (isTimeout(value)) throw new TimedOut(value)
          return value
        }, signal)
      } catch (error) {
        if (error instanceof TimedOut) return error.value as T
        if (error instanceof BrokenCircuitError) return { refused: true, kind: 'host_failing', reason: `host ${host} keeps timing out; not fetched for up to ${options.breakerOpenMs} ms` }
        if (error instanceof TaskCancelledError) return { refused: true, kind: 'budget', reason: `budget exhausted waiting for a fetch slot on ${host}` }
        if (error instanceof BulkheadRejectedError) return { refused: true, kind: 'host_busy', reason: `host ${host} has ${options.maxPerHost} fetches in flight and ${options.queuePerHost} waiting` }
        throw error
      }
    },
    openHosts: () => [...policies.entries()].filter(([, entry]) => entry.breaker.state === CircuitState.Open).map(([host]) => host)
  })
}
