// The one place the knowledge cache meets Prometheus: turns its typed events
// into metrics on a registry the caller owns. The cache itself never imports
// prom-client.
import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { KnowledgeInstrumentation, KnowledgeTier } from './instrumentation.js'

const LATENCY_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export function registerKnowledgeMetrics (registry: Registry, prefix = 'groundstream_knowledge_'): KnowledgeInstrumentation {
  const registers = [registry]
  const lookups = new Counter({ name: `${prefix}lookups_total`, help: 'Knowledge lookups per tier and outcome', labelNames: ['tier', 'outcome'], registers })
  const hitRatio = new Gauge({ name: `${prefix}hit_ratio`, help: 'Hits (incl. negative) over lookups reaching the tier, since start', labelNames: ['tier'], registers })
  const sourceDuration = new Histogram({ name: `${prefix}source_duration_seconds`, help: 'Time for one source to answer one key', labelNames: ['source', 'outcome'], buckets: LATENCY_BUCKETS, registers })
  const fetchErrors = new Counter({ name: `${prefix}fetch_errors_total`, help: 'Source fetches that failed or timed out', labelNames: ['source', 'code'], registers })
  const httpAttempts = new Histogram({ name: `${prefix}http_attempt_duration_seconds`, help: 'One HTTP attempt to a knowledge API', labelNames: ['source', 'status'], buckets: LATENCY_BUCKETS, registers })
  const breakerState = new Gauge({ name: `${prefix}breaker_open`, help: '1 while the source circuit breaker is open or half-open', labelNames: ['source'], registers })
  const evictions = new Counter({ name: `${prefix}evictions_total`, help: 'In-process cache entries dropped', labelNames: ['reason'], registers })
  const bytes = new Gauge({ name: `${prefix}memory_bytes`, help: 'Estimated bytes held by the in-process tier', registers })
  const entries = new Gauge({ name: `${prefix}memory_entries`, help: 'Entries in the in-process tier', registers })
  const redisErrors = new Counter({ name: `${prefix}redis_errors_total`, help: 'Redis tier calls that failed or timed out (served as misses)', labelNames: ['operation', 'code'], registers })

  const seen: Record<KnowledgeTier, { hits: number, total: number }> = {
    memory: { hits: 0, total: 0 },
    redis: { hits: 0, total: 0 },
    source: { hits: 0, total: 0 }
  }

  return Object.freeze({
    tierLookup: (event) => {
      lookups.inc({ tier: event.tier, outcome: event.outcome })
      const tally = seen[event.tier]
      tally.total++
      if (event.outcome !== 'miss') tally.hits++
      hitRatio.set({ tier: event.tier }, tally.hits / tally.total)
    },
    sourceFetch: (event) => {
      sourceDuration.observe({ source: event.source, outcome: event.outcome }, event.durationMs / 1000)
      if (event.outcome === 'error' || event.outcome === 'timeout') fetchErrors.inc({ source: event.source, code: event.errorCode ?? 'unknown' })
    },
    httpAttempt: (event) => httpAttempts.observe({ source: event.source, status: String(event.status) }, event.durationMs / 1000),
    breaker: (event) => breakerState.set({ source: event.source }, event.state === 'closed' ? 0 : 1),
    eviction: (event) => evictions.inc({ reason: event.reason }),
    memoryUsage: (event) => {
      bytes.set(event.bytes)
      entries.set(event.entries)
    },
    redisError: (event) => redisErrors.inc({ operation: event.operation, code: event.code })
  } satisfies KnowledgeInstrumentation)
}
