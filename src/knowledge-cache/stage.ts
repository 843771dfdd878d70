// The pipeline's `knowledge` stage: joins each stage-1 candidate with the
// cache. Distinct keys of a batch are looked up once, with bounded
// concurrency, under one deadline for the batch; whatever has not answered by
// then is null for this batch (and still lands in the cache for the next).
import { setMaxListeners } from 'node:events'
import type { Knowledge } from '../contracts/index.js'
import type { PostWork, Stage, StageInstrumentation } from '../pipeline/types.js'
import type { KnowledgeConfig } from './config.js'
import { approximateTokenCounter, loadTokenCounter } from './budget.js'
import type { TokenCounter } from './budget.js'
import { createKnowledgeCache } from './cache.js'
import type { KnowledgeCache, KnowledgeLogger, RedisLike } from './cache.js'
import type { KnowledgeInstrumentation } from './instrumentation.js'
import { normaliseEntityKey } from './keys.js'
import type { Clock } from './lru.js'
import { createSources } from './sources/registry.js'
import type { KnowledgeSource } from './sources/types.js'

export interface KnowledgeStageDeps {
  /** A ready-made cache; otherwise one is built from the config and the deps below. */
  cache?: KnowledgeCache
  /** Overrides the sources built from `config.sources`. */
  sources?: readonly KnowledgeSource[]
  redis?: RedisLike
  clock?: Clock
  instrumentation?: KnowledgeInstrumentation
  stageInstrumentation?: StageInstrumentation
  logger?: KnowledgeLogger
}

export function createKnowledgeStage (config: KnowledgeConfig, deps: KnowledgeStageDeps = {}): Stage {
  let cache = deps.cache
  let counter: TokenCounter = approximateTokenCounter

  function buildCache (): KnowledgeCache {
    return createKnowledgeCache(config, {
      sources: deps.sources ?? createSources(config, {
        ...(deps.clock === undefined ? {} : { clock: deps.clock }),
        ...(deps.instrumentation === undefined ? {} : { instrumentation: deps.instrumentation })
      }),
      tokenCounter: counter,
      ...(deps.redis === undefined ? {} : { redis: deps.redis }),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.instrumentation === undefined ? {} : { instrumentation: deps.instrumentation }),
      ...(deps.logger === undefined ? {} : { logger: deps.logger })
    })
  }

  async function joinBatch (batch: PostWork[]): Promise<void> {
    const active = cache
    const keys = new Map<string, string>()
    const keyOf = batch.map((work) => work.candidates.map((candidate) => {
      const key = normaliseEntityKey(candidate.text)
      if (key.length > 0 && !keys.has(key)) keys.set(key, candidate.text)
      return key
    }))
    const found = new Map<string, Knowledge | null>()
    if (active !== undefined && keys.size > 0) {
      const controller = new AbortController()
      // One listener per lookup in flight; the default cap of 10 would warn at normal concurrency.
      setMaxListeners(config.maxConcurrentLookups + 10, controller.signal)
      const deadline = setTimeout(() => controller.abort(), config.stageTimeoutMs)
      const queue = [...keys]
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined && !controller.signal.aborted; next = queue.shift()) {
          const [key, surface] = next
          found.set(key, await active.lookup(surface, { signal: controller.signal }))
        }
      }
      try {
        await Promise.all(Array.from({ length: Math.min(config.maxConcurrentLookups, queue.length) }, worker))
      } finally {
        clearTimeout(deadline)
      }
    }
    batch.forEach((work, index) => {
      work.knowledge = (keyOf[index] ?? []).map((key) => found.get(key) ?? null)
    })
  }

  return {
    name: 'knowledge',
    async init (): Promise<void> {
      if (!config.enabled || cache !== undefined) {
        await cache?.init()
        return
      }
      if (config.tokenizerPath !== undefined) counter = await loadTokenCounter(config.tokenizerPath)
      cache = buildCache()
      await cache.init()
    },
    async run (batch: PostWork[]): Promise<PostWork[]> {
      const started = performance.now()
      if (config.enabled) await joinBatch(batch)
      else for (const work of batch) work.knowledge = work.candidates.map(() => null)
      const durationMs = performance.now() - started
      for (const work of batch) work.timings.knowledge = durationMs
      deps.stageInstrumentation?.batchEnd({ stage: 'knowledge', size: batch.length, durationMs })
      return batch
    },
    async close (): Promise<void> {
      // Only a cache this stage built is this stage's to close.
      if (deps.cache === undefined) await cache?.close()
    }
  }
}
