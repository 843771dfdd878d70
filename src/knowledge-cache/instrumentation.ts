// Typed events the cache emits. Every hook is optional and only called when
// present, so an unobserved cache pays nothing; src/knowledge-cache/metrics.ts
// turns them into Prometheus metrics.

export type KnowledgeTier = 'memory' | 'redis' | 'source'
export type LookupOutcome = 'hit' | 'negative' | 'miss'
export type SourceOutcome = 'hit' | 'miss' | 'error' | 'timeout'

export interface TierLookupEvent {
  tier: KnowledgeTier
  outcome: LookupOutcome
}

export interface SourceFetchEvent {
  source: string
  outcome: SourceOutcome
  durationMs: number
  /** GS_ERR_* code, for errors and timeouts. */
  errorCode?: string
}

export interface EvictionEvent {
  reason: 'capacity' | 'expired'
}

export interface MemoryUsageEvent {
  bytes: number
  entries: number
}

export interface RedisErrorEvent {
  operation: 'get' | 'set'
  /** `timeout` or the error's code/name. */
  code: string
}

export interface HttpAttemptEvent {
  source: string
  /** HTTP status, or 0 when no response came back. */
  status: number
  durationMs: number
  attempt: number
}

export interface BreakerEvent {
  source: string
  state: 'open' | 'half_open' | 'closed'
}

export interface KnowledgeInstrumentation {
  tierLookup?: (event: TierLookupEvent) => void
  sourceFetch?: (event: SourceFetchEvent) => void
  eviction?: (event: EvictionEvent) => void
  memoryUsage?: (event: MemoryUsageEvent) => void
  redisError?: (event: RedisErrorEvent) => void
  httpAttempt?: (event: HttpAttemptEvent) => void
  breaker?: (event: BreakerEvent) => void
}

export const NO_INSTRUMENTATION: KnowledgeInstrumentation = Object.freeze({})
