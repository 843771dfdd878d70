// Configuration of the text models (stage 1 and stage 2). Validated once at the
// edge by src/config, then frozen and passed down.
import { z } from 'zod'

const ExecutionProviderSchema = z.enum(['auto', 'cpu', 'cuda'])

export const RecognizerSchema = z.enum(['scanner', 'mqspn'])
export type Recognizer = z.infer<typeof RecognizerSchema>

export const TextModelsConfigSchema = z.object({
  /** Folder holding `stage1/`, `stage2/` and `mqspn/`, each with a manifest.json. */
  modelsDir: z.string().default('models'),
  /**
   * Who finds and types the spans. `scanner`: stage 1 tags spans, stage 2 types
   * each from a knowledge prompt. `mqspn`: one set-prediction pass finds and
   * types them (models/mqspn); stage 2's prompt model then only types
   * #hashtag/@handle candidates the recogniser did not cover (docs/model-contract.md).
   */
  recognizer: RecognizerSchema.default('scanner'),
  /** `int8` is the committed default; `fp32` exists after `npm run train`. */
  precision: z.enum(['int8', 'fp32']).default('int8'),
  /** `auto` uses CUDA when onnxruntime-node reports it, else CPU. */
  executionProvider: ExecutionProviderSchema.default('auto'),
  /**
   * Text-model workers; each call is split across them (src/stages/text-worker-client.ts).
   * Measured on 2 cores: 2 workers of 1 intra-op thread beat 1 worker of 2 (docs/operations.md).
   */
  workers: z.number().int().min(1).max(64).default(2),
  /** ONNX Runtime intra-op threads per session (0: ONNX Runtime's default, one per core). */
  intraOpThreads: z.number().int().min(0).max(256).default(1),
  interOpThreads: z.number().int().min(0).max(256).default(1),
  /** Idle ONNX Runtime threads busy-wait for work (ORT's own default); off shares a few cores better (docs/operations.md). */
  allowSpinning: z.boolean().default(false),
  /** Largest number of sequences in one ONNX run; micro-batches are split to fit. */
  maxSequencesPerRun: z.number().int().min(1).max(4096).default(64),
  /**
   * What one more ONNX run costs, in padded tokens: a micro-batch's sequences
   * are sorted by length and cut into runs where the padding saved is worth
   * more (src/stages/runs.ts). 0 gives each length its own run; a huge value
   * one run per maxSequencesPerRun sequences (the behaviour before).
   */
  runCostTokens: z.number().int().min(0).max(1_000_000).default(32),
  /**
   * Bytes (estimated) of the text models' answers kept for inputs seen again:
   * repeated posts (retweets, campaigns) and repeated stage-2 prompts skip the
   * models (src/stages/result-cache.ts). 0 turns the cache off.
   */
  resultCacheBytes: z.number().int().min(0).max(16 * 1024 ** 3).default(32 * 1024 ** 2),
  /** Stage-1 spans below this score are not passed to stage 2. */
  minSpanScore: z.number().min(0).max(1).default(0.3),
  /** Stage-2 candidates whose NONE probability reaches this are not entities. */
  maxNoneScore: z.number().min(0).max(1).default(0.5),
  /** Stage-2 mentions whose best type is less probable than this are dropped. */
  minTypeScore: z.number().min(0).max(1).default(0.5),
  /** Every #hashtag and @handle not covered by a stage-1 span is a candidate of its own (docs/brand-tracking.md). */
  tagCandidates: z.boolean().default(true),
  /** Every name and alias of the user's catalogue found in a post is a candidate of its own (src/stages/name-candidates.ts). */
  nameCandidates: z.boolean().default(true),
  /** Such a name is typed as its entry says unless stage 2 gives another type or NONE at least this (src/stages/linking.ts). */
  trackedOverrideScore: z.number().min(0).max(1).default(0.9),
  /** Hashtags and handles that no catalogue entry resolves are kept when stage 2 types them at least this sure. */
  minTagScore: z.number().min(0).max(1).default(0.5),
  /**
   * A canonical id whose name also reads another way (another type, or a
   * common noun: `Apple`, `Amazon`, `Nike`) is kept only when stage 2 types
   * the mention at least this sure.
   */
  ambiguousLinkMinScore: z.number().min(0).max(1).default(0.8),
  /**
   * Weigh what the knowledge cache linked a text mention to (a catalogue
   * brand, a GeoNames city, a common-noun reading) with stage 2's
   * probabilities, using models/stage2/link-prior.json when it is there
   * (src/stages/link-prior.ts). Off: the prompt model's probabilities alone.
   */
  linkPrior: z.boolean().default(true)
}).strict()

export type TextModelsConfig = z.infer<typeof TextModelsConfigSchema>
