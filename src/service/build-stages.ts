// The stages of one service, built from the parsed config: stage1 →
// knowledge → image → stage2, each present when its config enables it. The
// one place that decides which stages run and what they share (the text
// models' worker, the Redis client, the metrics registry).
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { AppConfig } from '../config/index.js'
import type { ModelVersions } from '../contracts/index.js'
import { createKnowledgeStage, registerKnowledgeMetrics, userCatalogueNames } from '../knowledge-cache/index.js'
import { createImageStage, type ImageDoneEvent, type ImageFetcher } from '../images/index.js'
import { createRegionGrounder } from '../grounding/index.js'
import type { ServiceMetrics } from '../metrics/index.js'
import type { Stage } from '../pipeline/index.js'
import { createTextStages, type ResultCacheStats, type TextModelsInfo } from '../stages/index.js'

export interface BuildStagesDeps {
  logger: Logger
  metrics: ServiceMetrics
  /** The knowledge cache's shared tier (also the image analysis cache's); null: in-process only. */
  redis?: Redis | null
  /** Called once per post that had an image, after the metrics saw it. */
  onImage?: (event: ImageDoneEvent) => void
  /** Replaces the guarded network fetcher (eval reads a data set's images from a folder). */
  imageFetcher?: ImageFetcher
}

export interface BuiltStages {
  stages: Stage[]
  models: ModelVersions
  /** Versions and execution providers of the loaded text models. */
  modelInfo: TextModelsInfo
  /** The text models' result-cache hits and misses so far. */
  resultCache: () => ResultCacheStats
  /** Closes every stage in reverse order, each failure logged; idempotent. */
  close: () => Promise<void>
}

export async function buildStages (config: Readonly<AppConfig>, deps: BuildStagesDeps): Promise<BuiltStages> {
  const { logger, metrics } = deps
  const redis = deps.redis ?? null
  const closers: Array<() => Promise<void>> = []
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close()
      } catch (error) {
        logger.error({ err: error }, 'closing a stage failed')
      }
    }
  }
  // Stage 2's object head is untrained today; images.grounding.useObjectHead (default false) turns it on.
  // The user's catalogue names are candidates wherever written; they link through the knowledge stage.
  const cataloguePath = config.knowledge.enabled && config.knowledge.sources.includes('catalogue') ? config.knowledge.cataloguePath : undefined
  const names = cataloguePath === undefined ? [] : await userCatalogueNames(cataloguePath)
  const text = await createTextStages(config.textModels, {
    ground: createRegionGrounder(config.images.grounding),
    names,
    onTrackedOverride: (event) => {
      metrics.trackedOverride(event.to ?? 'none')
      logger.info({ postId: event.postId, mention: event.text, entry: event.entryId, entryType: event.entryType, chosen: event.to ?? 'NONE', score: Number(event.score.toFixed(3)) },
        `stage 2 overruled a tracked name: "${event.text}" is ${event.entryType} in the catalogue, read as ${event.to ?? 'no entity'} at ${event.score.toFixed(2)} (textModels.trackedOverrideScore)`)
    },
    onResultCache: (stage, counts) => { metrics.resultCache(stage, counts) }
  })
  closers.push(() => text.close())
  const stages: Stage[] = [text.stage1]
  try {
    if (config.knowledge.enabled) {
      const knowledge = createKnowledgeStage(config.knowledge, {
        ...(redis === null ? {} : { redis }),
        // Cache tiers, sources and breakers on the service registry (dashboards and alerts query them).
        instrumentation: registerKnowledgeMetrics(metrics.registry, `${config.metrics.prefix}knowledge_`),
        logger: logger.child({ module: 'knowledge' })
      })
      stages.push(knowledge)
      closers.push(() => knowledge.close())
    }
    if (config.images.enabled) {
      const image = createImageStage(config.images, {
        // The analysis cache's shared tier is the knowledge cache's Redis, when configured.
        redis,
        ...(deps.imageFetcher === undefined ? {} : { fetcher: deps.imageFetcher }),
        logger: logger.child({ module: 'images' }),
        onImage: (event) => { metrics.image(event); deps.onImage?.(event) }
      })
      stages.push(image)
      closers.push(() => image.close())
    }
    stages.push(text.stage2)
    await Promise.all(stages.map((stage) => stage.init()))
  } catch (error) {
    // A half-built set of stages still holds workers and sessions: release them.
    await closeAll()
    throw error
  }
  const info = text.models.info
  metrics.modelInfo({ stage: 'stage1', version: info.stage1.version, provider: info.stage1.provider })
  metrics.modelInfo({ stage: 'stage2', version: info.stage2.version, provider: info.stage2.provider })
  return {
    stages,
    models: { stage1: info.stage1.version, stage2: info.stage2.version },
    modelInfo: info,
    resultCache: text.resultCache,
    close: closeAll
  }
}
