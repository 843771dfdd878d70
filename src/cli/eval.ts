// `groundstream eval`: scores the service's inference path on a data set in
// the Twitter-GMNER layout and writes a JSON report.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ENTITY_TYPES, ModelManifestSchema } from '../contracts/index.js'
import { readManifest } from '../shared/index.js'
import {
  brandPostToPost, candidateDump, documentsToPredictions, evaluateUnseen, formatBrandScores, formatBreakdown, heldOutGain, parseBrandSet, predictionLines,
  readSplit, runBrandSet, runEvaluation, scoreBrandSet, scoreBreakdown, seenSurfaces, sweep,
  type BrandBreakdown, type BrandSetScores, type DatasetTweet, type HeldOutEstimate, type RecordedPost, type Score, type SweepPoint
} from '../eval/index.js'
import { existsSync } from 'node:fs'
import { Registry } from 'prom-client'
import { loadConfig, type AppConfig } from '../config/index.js'
import { createFolderFetcher } from '../images/index.js'
import { installDefaults, startInMemoryProcessor, type InMemoryProcessor } from '../service/index.js'
import { RecognizerSchema, TextModelsConfigSchema } from '../stages/index.js'
import { fractionFlag, intFlag, parseFlags } from './args.js'
import { usageError } from './common.js'
import { createLogger, resolveLogFormat, type LogFormat } from './log.js'
import { shownOf } from './summary.js'

export const USAGE = `usage: groundstream eval [--config FILE] [--data DIR] [--split dev] [--models DIR] [--precision int8|fp32]
                        [--recognizer scanner|mqspn]
                        [--knowledge auto|on|off] [--images DIR]
                        [--min-span-score P] [--max-none-score P] [--min-type-score P]
                        [--sweep] [--limit N] [--batch-size N] [--report FILE]
                        [--predictions FILE] [--dump-candidates FILE] [--log-format pretty|json]
       groundstream eval --brand-set FILE [--documents FILE | --write-posts FILE]
                        [--config FILE] [--models DIR] [--recognizer R] [--report FILE]

Scores span detection, MNER (span + type, per type, and for entities unseen in
the training split) and GMNER (span + type + region) with the same stages the
service runs, built from the same configuration as \`groundstream run\`
(--config FILE and GS_* variables; the flags below override it).

  --recognizer who finds and types spans: scanner (stage 1 + stage 2) or
               mqspn (one set-prediction pass, models/mqspn); default: the
               config's textModels.recognizer (scanner)
  --knowledge  join offline knowledge into stage-2 prompts; auto (default)
               does so when the stage-2 model was trained with knowledge
  --images     folder of the data set's images (<IMGID>.jpg); without it every
               predicted region is None
  --sweep      run once with every candidate kept, then score a grid of the
               three thresholds and print the best points (choose them on dev,
               never on test), and what choosing them gains on held-out
               halves of the split
  --dump-candidates run once with every candidate kept and the link prior
               off, and write one JSON line per text candidate (stage 2's
               probabilities, link evidence, gold label) for
               training/gmner/link_prior.py; third-party text: keep the
               file out of the repository
  --predictions write one JSON line per post (text, gold, predicted and
               candidate spans, each with its text) for error analysis; the
               data set's text is third-party: keep the file out of the
               repository

With --brand-set (e.g. test/fixtures/brand-set.txt) it scores brand tracking
instead, per surface kind (text, handle, hashtag): mention P/R, type accuracy,
link precision and link coverage; then per labelled mention kind (product,
club, ...) and per language: found, typed right, brand attributed and false
positives (docs/brand-tracking.md). --documents scores
the entity documents a \`groundstream run\` wrote for the set's posts, which
--write-posts writes as JSONL, instead of running the models.
  --models     folder with stage1/ and stage2/ (default: the installation's models/)
  --log-format pretty or json logs on stderr; default GS_LOG_FORMAT, else
               pretty when stderr is a terminal

Data: Twitter-GMNER (https://github.com/NUSTM/GMNER) in its layout
(train.txt, dev.txt, test.txt, xml/); --data defaults to ../shared/data/twitter-gmner.
`

async function trainedWithKnowledge (modelsDir: string): Promise<boolean> {
  const { manifest } = await readManifest(path.join(modelsDir, 'stage2'), ModelManifestSchema, 'model manifest')
  const entries = manifest.training?.knowledge_entries
  return typeof entries === 'number' && entries > 0
}

function percent (value: number): string {
  return (value * 100).toFixed(2).padStart(6)
}

function row (name: string, score: Score): string {
  return `${name.padEnd(14)} ${percent(score.precision)} ${percent(score.recall)} ${percent(score.f1)}   ${String(score.tp).padStart(5)} ${String(score.predicted).padStart(6)} ${String(score.gold).padStart(5)}`
}

/** The flags eval takes (its USAGE lists each one). */
export const FLAGS = {
  data: { type: 'string', default: path.join('..', 'shared', 'data', 'twitter-gmner') },
  split: { type: 'string', default: 'dev' },
  config: { type: 'string' },
  models: { type: 'string' },
  precision: { type: 'string' },
  recognizer: { type: 'string' },
  limit: { type: 'string' },
  'batch-size': { type: 'string', default: '32' },
  report: { type: 'string', default: path.join('reports', 'eval.json') },
  predictions: { type: 'string' },
  knowledge: { type: 'string', default: 'auto' },
  images: { type: 'string' },
  'min-span-score': { type: 'string' },
  'min-type-score': { type: 'string' },
  'max-none-score': { type: 'string' },
  sweep: { type: 'boolean', default: false },
  'dump-candidates': { type: 'string' },
  'brand-set': { type: 'string' },
  documents: { type: 'string' },
  'write-posts': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false }
} as const

export async function main (argv: string[]): Promise<number> {
  const values = parseFlags(argv, FLAGS)
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  const logFormat = resolveLogFormat(values['log-format'], process.env, process.stderr.isTTY === true)
  if (values.precision !== undefined && !['int8', 'fp32'].includes(values.precision)) throw usageError(`--precision must be int8 or fp32, got '${values.precision}'`)
  // The service's config (file, GS_* variables, installation paths) under the flags.
  if (values.recognizer !== undefined && !RecognizerSchema.safeParse(values.recognizer).success) throw usageError(`--recognizer must be scanner or mqspn, got '${values.recognizer}'`)
  const textFlags = {
    ...(values.models === undefined ? {} : { modelsDir: values.models }),
    ...(values.precision === undefined ? {} : { precision: values.precision }),
    ...(values.recognizer === undefined ? {} : { recognizer: values.recognizer })
  }
  const load = (overrides: Record<string, unknown>): Readonly<AppConfig> => loadConfig({
    env: process.env,
    ...(values.config === undefined ? {} : { file: values.config }),
    defaults: installDefaults(),
    overrides
  })
  const batchSize = intFlag('batch-size', values['batch-size'], 1, 4096) as number
  if (values['brand-set'] !== undefined) {
    return await evaluateBrandSet(values['brand-set'], {
      // Knowledge as the service runs it, no images; the pipeline in micro-batches of --batch-size, no metrics endpoint.
      config: load({ textModels: textFlags, knowledge: { enabled: true }, images: { enabled: false }, pipeline: evalPipeline(batchSize, load({})), metrics: { port: 0 } }),
      logFormat,
      report: values.report === path.join('reports', 'eval.json') ? path.join('reports', 'brand-eval.json') : values.report,
      ...(values.documents === undefined ? {} : { documents: values.documents }),
      ...(values['write-posts'] === undefined ? {} : { writePosts: values['write-posts'] })
    })
  }
  const minSpan = fractionFlag('min-span-score', values['min-span-score'])
  const minType = fractionFlag('min-type-score', values['min-type-score'])
  const maxNone = fractionFlag('max-none-score', values['max-none-score'])
  const dump = values['dump-candidates']
  const textModels = {
    ...textFlags,
    // The benchmark labels no #hashtag/@handle: it scores the stage-1 text path as it always has.
    tagCandidates: false,
    ...(minSpan === undefined ? {} : { minSpanScore: minSpan }),
    ...(minType === undefined ? {} : { minTypeScore: minType }),
    ...(maxNone === undefined ? {} : { maxNoneScore: maxNone }),
    ...(values.sweep || dump !== undefined ? { minSpanScore: 0, minTypeScore: 0, maxNoneScore: 1 } : {}),
    ...(dump === undefined ? {} : { linkPrior: false })
  }
  const recorded: RecordedPost[] = []
  const limit = intFlag('limit', values.limit, 1, Number.MAX_SAFE_INTEGER)
  if (!['auto', 'on', 'off'].includes(values.knowledge)) throw usageError(`--knowledge must be auto, on or off, got '${values.knowledge}'`)
  let tweets = await readSplit(values.data, values.split)
  if (limit !== undefined) tweets = tweets.slice(0, limit)

  const base = load({ textModels })
  const modelsDir = base.textModels.modelsDir
  const useKnowledge = values.knowledge === 'on' || (values.knowledge === 'auto' && await trainedWithKnowledge(modelsDir))
  // The service's pipeline (caps, micro-batches of --batch-size posts) without its metrics endpoint.
  const serviceConfig = load({ textModels, knowledge: { enabled: useKnowledge }, images: { enabled: values.images !== undefined }, pipeline: evalPipeline(batchSize, base), metrics: { port: 0 } })
  const config = serviceConfig.textModels
  const processor = await startEvalProcessor(serviceConfig, values.images, logFormat)
  try {
    const modelInfo = processor.service.modelInfo
    process.stderr.write(`evaluating ${tweets.length} posts from ${values.data} (${values.split}) with ${config.precision} models (recognizer ${config.recognizer}) on ${modelInfo?.stage1.provider ?? 'unknown'}; knowledge ${useKnowledge ? 'on' : 'off'}; images ${values.images ?? 'none'}\n`)
    const result = await runEvaluation(tweets, processor, {
      withImages: values.images !== undefined,
      onProgress: (done, total) => { if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total}`) }
    })
    if (values.sweep || dump !== undefined) result.works.forEach((work, i) => recorded.push({ work, tweet: tweets[i] as DatasetTweet }))
    if (process.stderr.isTTY) process.stderr.write('\n')
    const { scores } = result
    const trainFile = path.join(values.data, 'train.txt')
    const unseen = values.split !== 'train' && existsSync(trainFile)
      ? evaluateUnseen(result.documents, tweets.map((tweet) => tweet.text), seenSurfaces(await readSplit(values.data, 'train')))
      : null
    const lines = [
      `${'metric'.padEnd(14)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'F1'.padStart(6)}   ${'tp'.padStart(5)} ${'pred'.padStart(6)} ${'gold'.padStart(5)}`,
      row('span', scores.span),
      row('MNER', scores.mner),
      ...ENTITY_TYPES.map((type) => row(`  MNER ${type}`, scores.mnerByType[type])),
      row('GMNER', scores.gmner),
      ...(unseen === null ? [] : [row('MNER unseen', unseen.mner), row('span unseen', unseen.span)]),
      `${result.postsPerSecond.toFixed(1)} posts/s end to end (${(result.durationMs / 1000).toFixed(1)} s)`
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    const sweepPoints = values.sweep ? sweep(recorded) : null
    let heldOut: HeldOutEstimate | null = null
    if (sweepPoints !== null) {
      const defaults = TextModelsConfigSchema.parse({})
      const current = sweepPoints.find((point) => point.minSpanScore === defaults.minSpanScore && point.maxNoneScore === defaults.maxNoneScore && point.minTypeScore === defaults.minTypeScore)
      const describe = (point: SweepPoint): string => `span>=${point.minSpanScore.toFixed(2)} none<${point.maxNoneScore.toFixed(2)} type>=${point.minTypeScore.toFixed(2)}  MNER ${percent(point.scores.mner.f1)} (P ${percent(point.scores.mner.precision)} R ${percent(point.scores.mner.recall)})  ${ENTITY_TYPES.map((type) => `${type} ${percent(point.scores.mnerByType[type].f1)}`).join(' ')}`
      const best = sweepPoints.slice(0, 8)
      process.stdout.write(`threshold sweep (${sweepPoints.length} points); best first${shownOf(best.length, sweepPoints.length)}:\n${best.map(describe).join('\n')}\n`)
      if (current !== undefined) process.stdout.write(`shipped defaults: ${describe(current)}\n`)
      heldOut = heldOutGain(recorded, defaults)
      process.stdout.write(`held out (thresholds chosen on one half, scored on the other; 4 halves): MNER ${heldOut.meanGain >= 0 ? '+' : ''}${(100 * heldOut.meanGain).toFixed(2)} against the defaults\n`)
    }
    const report = {
      data: values.data,
      split: values.split,
      posts: tweets.length,
      models: modelInfo,
      precision: config.precision,
      scores,
      unseenInTrain: unseen,
      durationMs: result.durationMs,
      postsPerSecond: result.postsPerSecond,
      knowledgeUsed: useKnowledge,
      imagesFolder: values.images ?? null,
      thresholds: values.sweep ? null : { minSpanScore: config.minSpanScore, maxNoneScore: config.maxNoneScore, minTypeScore: config.minTypeScore },
      sweepHeldOut: heldOut,
      sweep: sweepPoints?.slice(0, 50).map(({ scores: pointScores, ...thresholds }) => ({ ...thresholds, mner: pointScores.mner, mnerByType: pointScores.mnerByType, span: pointScores.span })) ?? null
    }
    await mkdir(path.dirname(values.report), { recursive: true })
    await writeFile(values.report, `${JSON.stringify(report, null, 2)}\n`)
    process.stderr.write(`report written to ${values.report}\n`)
    if (dump !== undefined) {
      const { text, candidates } = candidateDump(recorded)
      await mkdir(path.dirname(dump), { recursive: true })
      await writeFile(dump, text)
      process.stderr.write(`${candidates} candidates written to ${dump}\n`)
    }
    if (values.predictions !== undefined) {
      await mkdir(path.dirname(values.predictions), { recursive: true })
      await writeFile(values.predictions, `${predictionLines(tweets, result.documents).join('\n')}\n`)
      process.stderr.write(`predictions written to ${values.predictions}\n`)
    }
    return 0
  } finally {
    await processor.close()
  }
}

/** The service's pipeline in micro-batches of `batchSize` posts, with room for at least one batch in flight. */
function evalPipeline (batchSize: number, configured: Readonly<AppConfig>): { maxBatchSize: number, maxInFlight: number } {
  return { maxBatchSize: batchSize, maxInFlight: Math.max(batchSize, configured.pipeline.maxInFlight) }
}

/** The service's pipeline over in-memory posts, from its config; a data set's images come from a folder, not the network. */
async function startEvalProcessor (config: Readonly<AppConfig>, imagesFolder: string | undefined, logFormat: LogFormat): Promise<InMemoryProcessor> {
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, logFormat)
  return await startInMemoryProcessor(config, logger, {
    registry: new Registry(),
    ...(imagesFolder === undefined ? {} : { imageFetcher: createFolderFetcher(imagesFolder) })
  })
}

interface BrandSetOptions {
  config: Readonly<AppConfig>
  logFormat: LogFormat
  report: string
  documents?: string
  writePosts?: string
}

/** `eval --brand-set`: the service's pipeline (knowledge as the service runs it) over the labelled brand posts. */
async function evaluateBrandSet (file: string, options: BrandSetOptions): Promise<number> {
  const posts = parseBrandSet(await readFile(file, 'utf8'), file)
  if (options.writePosts !== undefined) {
    if (existsSync(options.writePosts)) throw new Error(`${options.writePosts} exists; not overwriting it`)
    await writeFile(options.writePosts, posts.map((post) => JSON.stringify(brandPostToPost(post))).join('\n') + '\n')
    process.stderr.write(`${posts.length} posts written to ${options.writePosts}\n`)
    return 0
  }
  let scores: BrandSetScores
  let breakdown: BrandBreakdown
  let models: unknown = null
  if (options.documents !== undefined) {
    const predictions = documentsToPredictions(await readFile(options.documents, 'utf8'), options.documents)
    scores = scoreBrandSet(posts, predictions)
    breakdown = scoreBreakdown(posts, predictions)
  } else {
    const processor = await startEvalProcessor(options.config, undefined, options.logFormat)
    try {
      models = processor.service.modelInfo
      const result = await runBrandSet(posts, processor)
      scores = result.scores
      breakdown = result.breakdown
    } finally {
      await processor.close()
    }
  }
  const mentions = posts.reduce((sum, post) => sum + post.mentions.length, 0)
  const tables = [formatBrandScores(scores), formatBreakdown('mention kind', breakdown.byKind), formatBreakdown('language', breakdown.byLanguage)]
  process.stdout.write(`brand set ${file}: ${posts.length} posts, ${mentions} gold mentions\n${tables.join('\n\n')}\n`)
  await mkdir(path.dirname(options.report), { recursive: true })
  await writeFile(options.report, `${JSON.stringify({ brandSet: file, posts: posts.length, mentions, documents: options.documents ?? null, models, scores, byKind: breakdown.byKind, byLanguage: breakdown.byLanguage }, null, 2)}\n`)
  process.stderr.write(`report written to ${options.report}\n`)
  return 0
}
