// Public surface of the text-model stages. Nothing else in src/stages is
// imported from outside the folder.
import path from 'node:path'
import type { Stage } from '../pipeline/index.js'
import type { TextModelsConfig } from './config.js'
import { createStage1 } from './stage1.js'
import { createStage2, type RegionGrounder } from './stage2.js'
import { createTextEngine, type TextModels } from './text-engine.js'
import { createWorkerTextModels } from './text-worker-client.js'
import { withResultCache, type CachedStage, type ResultCacheCounts, type ResultCacheStats } from './result-cache.js'
import { loadLinkPrior, type LinkPrior } from './link-prior.js'
import { createNameMatcher } from './name-candidates.js'
import type { TrackedOverride } from './linking.js'

export { TextModelsConfigSchema, RecognizerSchema, type Recognizer, type TextModelsConfig } from './config.js'
export type { TextModels, TextModelsInfo, SetResult, SpanRequest, SpanResult, TypeRequest, TypeResult } from './text-engine.js'
export { decodeSetPredictions, type SetSpan } from './set-decoding.js'
export { typePrompts, type TypePrompts, type RegionGrounder, type GroundingRequest } from './stage2.js'
export { splitWords, wordShape } from './words.js'
export { withTagCandidates, TAG_SPAN_SCORE } from './tags.js'
export { createNameMatcher, withNameCandidates, NAME_SPAN_SCORE, type NameMatcher } from './name-candidates.js'
export { createWordSegmenter, loadWordSegmenter, segmentTag, type WordSegmenter } from './segment.js'
export { chooseLink, decideTagType, decideTrackedType, trackedOption, type TrackedOverride } from './linking.js'
export { decideType, type TypeDecisionOptions } from './decision.js'
export { linkEvidence, hasLinkEvidence, applyLinkPrior, loadLinkPrior, LINK_EVIDENCE_FEATURES, type LinkPrior } from './link-prior.js'
export { withResultCache, type CachedStage, type ResultCacheCounts, type ResultCacheStats } from './result-cache.js'

export interface TextStagesDeps {
  ground: RegionGrounder
  /** Run inference on the calling thread (tools and tests); the service keeps the default worker. */
  inProcess?: boolean
  /** Each call's result-cache hits and misses (metrics). */
  onResultCache?: (stage: CachedStage, counts: ResultCacheCounts) => void
  /** Names and aliases of the user's catalogue, each a candidate wherever it is written (with textModels.nameCandidates). */
  names?: readonly string[]
  /** Each time stage 2 overrules a name of the user's catalogue (another type, or no entity). */
  onTrackedOverride?: (event: TrackedOverride) => void
}

export interface TextStages {
  stage1: Stage
  stage2: Stage
  models: TextModels
  /** The link prior stage 2 applies (models/stage2/link-prior.json), or null. */
  linkPrior: LinkPrior | null
  /** Result-cache hits and misses so far (textModels.resultCacheBytes). */
  resultCache: () => ResultCacheStats
  /** Releases the sessions (and the worker); idempotent. */
  close (): Promise<void>
}

export async function createTextModels (config: TextModelsConfig, options: { inProcess?: boolean } = {}): Promise<TextModels> {
  return options.inProcess === true ? await createTextEngine(config) : await createWorkerTextModels(config)
}

/**
 * Loads both models (in one worker by default) and returns the two stages
 * that share them. The sessions are released when both stages are closed.
 */
export async function createTextStages (config: TextModelsConfig, deps: TextStagesDeps): Promise<TextStages> {
  const linkPrior = config.linkPrior ? await loadLinkPrior(path.join(config.modelsDir, 'stage2', 'link-prior.json')) : null
  const { models, stats } = withResultCache(await createTextModels(config, { inProcess: deps.inProcess }), {
    maxBytes: config.resultCacheBytes,
    ...(deps.onResultCache === undefined ? {} : { onLookup: deps.onResultCache })
  })
  let open = 2
  const release = async (): Promise<void> => {
    open--
    if (open === 0) await models.close()
  }
  const withRelease = (stage: Stage): Stage => {
    let closed = false
    return Object.freeze({
      name: stage.name,
      init: () => stage.init(),
      run: (batch) => stage.run(batch),
      close: async () => {
        if (closed) return
        closed = true
        await stage.close()
        await release()
      }
    } satisfies Stage)
  }
  const names = config.nameCandidates && deps.names !== undefined && deps.names.length > 0 ? createNameMatcher(deps.names) : undefined
  const stage1 = withRelease(createStage1(models, { recognizer: config.recognizer, minSpanScore: config.minSpanScore, tagCandidates: config.tagCandidates, ...(names === undefined ? {} : { names }) }))
  const stage2 = withRelease(createStage2(models, {
    minTypeScore: config.minTypeScore,
    maxNoneScore: config.maxNoneScore,
    minTagScore: config.minTagScore,
    ambiguousLinkMinScore: config.ambiguousLinkMinScore,
    trackedOverrideScore: config.trackedOverrideScore,
    ...(deps.onTrackedOverride === undefined ? {} : { onTrackedOverride: deps.onTrackedOverride }),
    linkPrior
  }, deps.ground))
  return {
    stage1,
    stage2,
    models,
    linkPrior,
    resultCache: stats,
    close: async () => {
      await Promise.all([stage1.close(), stage2.close()])
    }
  }
}
