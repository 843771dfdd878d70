// Text-model throughput, side by side in one run: stage 1 and stage 2, by
// batch size, int8 vs fp32 ONNX through onnxruntime-node, and the PyTorch
// reference on the same inputs; then agreement between the ONNX/TypeScript
// path and PyTorch (same spans and types, probabilities within tolerance).
//
//   npm run build && node dist/bench/text-models.js [--data DIR] [--posts 256]
//        [--batch-sizes 1,8,32] [--seconds 2] [--repeats 3] [--checkpoints training/runs/X] [--no-reference]
//        [--baseline DIR]   another models folder (e.g. the previous release's int8, see
//                           scripts/baseline-models.sh) measured interleaved with the shipped one
//
// Stage 2 gets the prompts the pipeline builds: stage 1's candidates on the
// posts, joined with the shipped knowledge (the knowledge stage of the
// default config), one prompt per candidate as stage 2 sends them. The end of
// the run sets the service's stages (default config: text-model workers,
// knowledge; the result cache off, as the passes repeat the posts) beside
// the same models called back to back on the same batches: end-to-end and
// model-only posts/s, their ratio, and p50/p99 batch latency. The rows above
// it run in-process sessions of --threads intra-op threads.
//
// When models/mqspn exists, the MQSPN set recogniser (one pass finds and types
// a post's spans) is measured in the same alternation, and both recognisers
// are compared in posts/s: SCANNER = stage 1 then stage 2 on the inputs'
// candidates per post, MQSPN = its one pass.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../src/config/index.js'
import type { PostInput } from '../src/contracts/index.js'
import { createMetrics } from '../src/metrics/index.js'
import type { Stage } from '../src/pipeline/index.js'
import { buildStages, installDefaults } from '../src/service/index.js'
import { loadBenchPosts, postWorks } from './posts.js'
import { createTextModels, splitWords, TextModelsConfigSchema, typePrompts, type Recognizer, type SpanRequest, type TextModels, type TypeRequest } from '../src/stages/index.js'

interface Inputs {
  source: string
  posts: PostInput[]
  stage1: SpanRequest[]
  /** Per micro-batch of BATCH posts: the prompts stage 2 sends for it. */
  promptsByBatch: TypeRequest[][]
  stage2: TypeRequest[]
}

/** Micro-batch size of the end-to-end rows and of the pass that builds the prompts (the service's default). */
const BATCH = 32

/**
 * The default config on `modelsDir`, images off and the result cache off: the
 * passes repeat the same posts, which a cache would answer without the models
 * (bench/run-vs-baseline.sh measures it on a stream with repeated posts).
 */
function serviceConfig (modelsDir: string): ReturnType<typeof loadConfig> {
  return loadConfig({ env: process.env, defaults: installDefaults(), overrides: { textModels: { modelsDir, resultCacheBytes: 0 }, images: { enabled: false } } })
}

async function buildServiceStages (modelsDir: string): ReturnType<typeof buildStages> {
  return await buildStages(serviceConfig(modelsDir), { logger: pino({ level: 'warn' }), metrics: createMetrics({ registry: new Registry() }) })
}


/** The posts, and the prompts stage 2 builds for them: stage 1 and the knowledge stage of the default config, per micro-batch. */
async function loadInputs (dataDir: string, posts: number, modelsDir: string): Promise<Inputs> {
  const loaded = await loadBenchPosts({ dataDir, count: posts })
  const built = await buildServiceStages(modelsDir)
  const promptsByBatch: TypeRequest[][] = []
  try {
    const upToStage2 = built.stages.filter((stage) => stage.name === 'stage1' || stage.name === 'knowledge')
    for (let i = 0; i < loaded.posts.length; i += BATCH) {
      let batch = postWorks(loaded.posts.slice(i, i + BATCH))
      for (const stage of upToStage2) batch = await stage.run(batch)
      promptsByBatch.push(typePrompts(batch).requests)
    }
  } finally {
    await built.close()
  }
  const stage2 = promptsByBatch.flat()
  const withKnowledge = stage2.filter((request) => request.knowledge !== '').length
  return {
    source: `${loaded.source}; stage-2 prompts as the pipeline builds them (${withKnowledge} of ${stage2.length} with knowledge text)`,
    posts: loaded.posts,
    stage1: loaded.posts.map((post) => ({ words: splitWords(post.text).map((word) => word.text) })),
    promptsByBatch,
    stage2
  }
}

interface BatchRun { postsPerSecond: number, p50: number, p99: number }

function percentile (values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN
}

/** `run` on each micro-batch in turn: posts/s over the pass, and p50/p99 of one batch's wall time. */
async function perBatch (inputs: Inputs, run: (batch: number) => Promise<unknown>): Promise<BatchRun> {
  const latencies: number[] = []
  const started = performance.now()
  for (let b = 0; b < inputs.promptsByBatch.length; b++) {
    const t0 = performance.now()
    await run(b)
    latencies.push(performance.now() - t0)
  }
  return { postsPerSecond: inputs.posts.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) }
}

/**
 * The service's stages (stage 1, knowledge, stage 2 as the default config
 * builds them) against the same text models called back to back on the same
 * batches, alternating `repeats` times; medians.
 */
async function endToEnd (inputs: Inputs, modelsDir: string, repeats: number): Promise<{ model: BatchRun, service: BatchRun, workers: number }> {
  const config = serviceConfig(modelsDir)
  const built = await buildServiceStages(modelsDir)
  const models = await createTextModels(config.textModels)
  const model: BatchRun[] = []
  const service: BatchRun[] = []
  try {
    const stages: Stage[] = built.stages
    const modelPass = async (b: number): Promise<void> => {
      await models.detectSpans(inputs.stage1.slice(b * BATCH, (b + 1) * BATCH))
      const prompts = inputs.promptsByBatch[b] ?? []
      if (prompts.length > 0) await models.recogniseTypes(prompts)
    }
    const servicePass = async (b: number): Promise<void> => {
      let batch = postWorks(inputs.posts.slice(b * BATCH, (b + 1) * BATCH))
      for (const stage of stages) batch = await stage.run(batch)
    }
    await modelPass(0)
    await servicePass(0)
    for (let r = 0; r < repeats; r++) {
      model.push(await perBatch(inputs, modelPass))
      service.push(await perBatch(inputs, servicePass))
    }
  } finally {
    await models.close()
    await built.close()
  }
  const middle = (runs: BatchRun[]): BatchRun => [...runs].sort((a, b) => a.postsPerSecond - b.postsPerSecond)[Math.floor(runs.length / 2)] as BatchRun
  return { model: middle(model), service: middle(service), workers: config.textModels.workers }
}

/** Sequences per second over whole passes, repeated until `seconds` have passed. */
async function rate (pass: () => Promise<unknown>, count: number, seconds: number): Promise<number> {
  await pass() // warm-up: first runs allocate arenas
  let done = 0
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    await pass()
    done += count
  }
  return done / ((performance.now() - started) / 1000)
}

function newestCheckpoints (): string | null {
  const runs = path.join('training', 'runs')
  if (!existsSync(runs)) return null
  const dirs = readdirSync(runs)
    .map((name) => path.join(runs, name))
    .filter((dir) => existsSync(path.join(dir, 's1_teacher.pt')))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  return dirs[0] ?? null
}

function checkpointFiles (dir: string, student: boolean): { stage1: string, stage2: string } {
  const pick = (stage: string): string => {
    const preferred = path.join(dir, `${stage}_${student ? 'student' : 'teacher'}.pt`)
    return existsSync(preferred) ? preferred : path.join(dir, `${stage}_teacher.pt`)
  }
  return { stage1: pick('s1'), stage2: pick('s2') }
}

interface ReferenceAnswer {
  stage1: Record<string, number>
  stage2: Record<string, number>
  stage1_word_probs: number[][][]
  stage2_type_probs: number[][]
  torch: string
}

async function runReference (request: unknown): Promise<ReferenceAnswer> {
  const python = path.join('.venv-training', 'bin', 'python')
  const child = spawn(python, [path.join('training', 'bench_reference.py')], {
    cwd: process.cwd(),
    env: { ...process.env, PYTHONPATH: 'training', HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stdin.end(JSON.stringify(request))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  if (code !== 0) throw new Error(`PyTorch reference exited with ${code}`)
  return JSON.parse(output) as ReferenceAnswer
}

interface Agreement {
  identicalSpanSets: number
  maxWordProbDiff: number
  identicalTypes: number
  maxTypeProbDiff: number
}

async function agreement (models: TextModels, inputs: Inputs, reference: ReferenceAnswer): Promise<Agreement> {
  const spans = await models.detectSpans(inputs.stage1, { withProbabilities: true })
  const types = await models.recogniseTypes(inputs.stage2)
  let identicalSpanSets = 0
  let maxWordProbDiff = 0
  spans.forEach((result, i) => {
    const theirs = reference.stage1_word_probs[i] ?? []
    const ours = result.wordProbabilities ?? []
    ours.forEach((row, w) => row.forEach((p, k) => { maxWordProbDiff = Math.max(maxWordProbDiff, Math.abs(p - (theirs[w]?.[k] ?? 0))) }))
    const label = (row: number[]): number => row.indexOf(Math.max(...row))
    if (ours.every((row, w) => label(row) === label(theirs[w] ?? [1, 0, 0]))) identicalSpanSets++
  })
  let identicalTypes = 0
  let maxTypeProbDiff = 0
  types.forEach((result, i) => {
    const theirs = reference.stage2_type_probs[i] ?? []
    result.scores.forEach((p, k) => { maxTypeProbDiff = Math.max(maxTypeProbDiff, Math.abs(p - (theirs[k] ?? 0))) })
    if (result.scores.indexOf(Math.max(...result.scores)) === theirs.indexOf(Math.max(...theirs))) identicalTypes++
  })
  return {
    identicalSpanSets: identicalSpanSets / Math.max(1, spans.length),
    maxWordProbDiff,
    identicalTypes: identicalTypes / Math.max(1, types.length),
    maxTypeProbDiff
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: path.join('..', 'shared', 'data', 'twitter-gmner') },
      models: { type: 'string', default: 'models' },
      posts: { type: 'string', default: '256' },
      'batch-sizes': { type: 'string', default: '1,8,32' },
      seconds: { type: 'string', default: '2' },
      repeats: { type: 'string', default: '3' },
      threads: { type: 'string', default: '2' },
      checkpoints: { type: 'string' },
      'no-reference': { type: 'boolean', default: false },
      baseline: { type: 'string' },
      report: { type: 'string', default: path.join('reports', 'bench-text-models.json') }
    }
  })
  const batchSizes = values['batch-sizes'].split(',').map(Number)
  const seconds = Number(values.seconds)
  const repeats = Number(values.repeats)
  const threads = Number(values.threads)
  const inputs = await loadInputs(values.data, Number(values.posts), values.models)
  console.log(`inputs: ${inputs.source}; ${inputs.stage1.length} stage-1 posts, ${inputs.stage2.length} stage-2 candidates; ${threads} intra-op threads`)

  const rows: Array<{ path: string, batch: number, stage1: number, stage2: number }> = []
  const precisions = (['int8', 'fp32'] as const).filter((precision) =>
    existsSync(path.join(values.models, 'stage1', `model.${precision}.onnx`)) && existsSync(path.join(values.models, 'stage2', `model.${precision}.onnx`)))
  const agreements: Record<string, Agreement> = {}

  let reference: ReferenceAnswer | null = null
  const checkpointDir = values.checkpoints ?? newestCheckpoints()
  if (!values['no-reference'] && checkpointDir !== null && existsSync(path.join('.venv-training', 'bin', 'python'))) {
    const manifest = JSON.parse(await readFile(path.join(values.models, 'stage1', 'manifest.json'), 'utf8')) as { training?: { tyt?: boolean } }
    const checkpoints = checkpointFiles(checkpointDir, manifest.training?.tyt === true)
    console.log(`PyTorch reference: ${checkpoints.stage1}, ${checkpoints.stage2}`)
    reference = await runReference({
      checkpoints,
      threads,
      batch_sizes: batchSizes,
      repeat_s: seconds,
      stage1: inputs.stage1.map((request) => request.words),
      stage2: inputs.stage2.map((request) => ({
        entity_words: request.entityWords,
        sentence_words: request.sentenceWords,
        knowledge: request.knowledge,
        image_text: request.imageText,
        objects: request.objectLabels
      }))
    })
    for (const batch of batchSizes) rows.push({ path: `pytorch ${reference.torch}`, batch, stage1: reference.stage1[String(batch)] ?? NaN, stage2: reference.stage2[String(batch)] ?? NaN })
  } else {
    console.log('PyTorch reference skipped (no checkpoints in training/runs or no .venv-training; run scripts/train.sh)')
  }

  const open = async (modelsDir: string, precision: 'int8' | 'fp32', batch: number, recognizer: Recognizer = 'scanner'): Promise<TextModels> =>
    await createTextModels(TextModelsConfigSchema.parse({ modelsDir, precision, recognizer, maxSequencesPerRun: batch, intraOpThreads: threads, executionProvider: 'cpu' }), { inProcess: true })
  const withMqspn = existsSync(path.join(values.models, 'mqspn', 'model.int8.onnx'))
  const median = (values: number[]): number => {
    const sorted = [...values].sort((x, y) => x - y)
    return sorted[Math.floor(sorted.length / 2)] ?? NaN
  }
  for (const precision of precisions) {
    for (const batch of batchSizes) {
      // The shipped models and the baseline are open together and measured in alternation,
      // `repeats` times each, so both see the same load; medians are reported.
      const paths: Array<{ label: string, dir: string, recognizer: Recognizer }> = [{ label: `onnxruntime-node ${precision}`, dir: values.models, recognizer: 'scanner' }]
      if (values.baseline !== undefined && precision === 'int8') paths.push({ label: 'baseline int8', dir: values.baseline, recognizer: 'scanner' })
      if (withMqspn && precision === 'int8') paths.push({ label: 'mqspn int8', dir: values.models, recognizer: 'mqspn' })
      const opened = await Promise.all(paths.map(async (entry) => ({ ...entry, models: await open(entry.dir, precision, batch, entry.recognizer), s1: [] as number[], s2: [] as number[] })))
      try {
        for (let r = 0; r < repeats; r++) {
          for (const entry of opened) {
            if (entry.recognizer === 'mqspn') {
              // One pass types the spans: its posts/s goes in the stage-1 column, stage 2 has nothing to do.
              entry.s1.push(await rate(() => entry.models.recogniseSet(inputs.stage1), inputs.stage1.length, seconds))
              entry.s2.push(NaN)
              continue
            }
            entry.s1.push(await rate(() => entry.models.detectSpans(inputs.stage1), inputs.stage1.length, seconds))
            entry.s2.push(inputs.stage2.length === 0 ? NaN : await rate(() => entry.models.recogniseTypes(inputs.stage2), inputs.stage2.length, seconds))
          }
        }
        for (const entry of opened) rows.push({ path: entry.label, batch, stage1: median(entry.s1), stage2: median(entry.s2) })
        const shipped = opened[0]
        if (reference !== null && shipped !== undefined && batch === batchSizes[batchSizes.length - 1]) agreements[precision] = await agreement(shipped.models, inputs, reference)
      } finally {
        await Promise.all(opened.map(async (entry) => { await entry.models.close() }))
      }
    }
  }

  console.log('\nthroughput (sequences/s; stage 1 = posts, stage 2 = candidates), this machine\'s CPU')
  console.log(`${'path'.padEnd(28)} ${'batch'.padStart(5)} ${'stage1/s'.padStart(10)} ${'stage2/s'.padStart(10)} ${'s1 vs torch'.padStart(12)} ${'s2 vs torch'.padStart(12)}`)
  for (const row of rows) {
    const torch = rows.find((other) => other.path.startsWith('pytorch') && other.batch === row.batch)
    const ratio = (ours: number, theirs: number | undefined): string => (theirs === undefined || !Number.isFinite(theirs) ? '-' : `${(ours / theirs).toFixed(2)}x`)
    console.log(`${row.path.padEnd(28)} ${String(row.batch).padStart(5)} ${row.stage1.toFixed(1).padStart(10)} ${row.stage2.toFixed(1).padStart(10)} ${ratio(row.stage1, torch?.stage1).padStart(12)} ${ratio(row.stage2, torch?.stage2).padStart(12)}`)
  }
  const baselineRows = rows.filter((row) => row.path === 'baseline int8')
  if (baselineRows.length > 0) {
    console.log(`\nshipped int8 / baseline int8 (${values.baseline ?? ''}), same batch, medians of ${repeats} alternating runs`)
    for (const base of baselineRows) {
      const ours = rows.find((row) => row.path === 'onnxruntime-node int8' && row.batch === base.batch)
      if (ours === undefined) continue
      const series = 1 / (1 / ours.stage1 + 1.6 / ours.stage2)
      const baseSeries = 1 / (1 / base.stage1 + 1.6 / base.stage2)
      console.log(`batch ${String(base.batch).padStart(3)}: stage 1 ${(ours.stage1 / base.stage1).toFixed(2)}x, stage 2 ${(ours.stage2 / base.stage2).toFixed(2)}x, both stages in series at 1.6 candidates/post ${(series / baseSeries).toFixed(2)}x`)
    }
  }
  const mqspnRows = rows.filter((row) => row.path === 'mqspn int8')
  if (mqspnRows.length > 0) {
    const perPost = inputs.stage2.length / Math.max(1, inputs.stage1.length)
    console.log(`\nrecognisers, model-only posts/s (SCANNER: stage 1 then stage 2 at ${perPost.toFixed(2)} candidates per post, as in the inputs)`)
    for (const set of mqspnRows) {
      const scanner = rows.find((row) => row.path === 'onnxruntime-node int8' && row.batch === set.batch)
      if (scanner === undefined) continue
      const series = 1 / (1 / scanner.stage1 + perPost / scanner.stage2)
      console.log(`batch ${String(set.batch).padStart(3)}: scanner ${series.toFixed(1)} posts/s, mqspn ${set.stage1.toFixed(1)} posts/s, mqspn / scanner ${(set.stage1 / series).toFixed(2)}x`)
    }
  }
  if (Object.keys(agreements).length > 0) {
    console.log('\nagreement with PyTorch on the same inputs')
    for (const [precision, result] of Object.entries(agreements)) {
      console.log(`${precision}: identical BIO labels on ${(result.identicalSpanSets * 100).toFixed(1)}% of posts (max word-prob diff ${result.maxWordProbDiff.toExponential(2)}), identical types on ${(result.identicalTypes * 100).toFixed(1)}% of candidates (max type-prob diff ${result.maxTypeProbDiff.toExponential(2)})`)
    }
  }
  const e2e = await endToEnd(inputs, values.models, repeats)
  const line = (name: string, run: BatchRun): string => `${name.padEnd(36)} ${run.postsPerSecond.toFixed(1).padStart(8)} posts/s   p50 ${run.p50.toFixed(0).padStart(5)} ms   p99 ${run.p99.toFixed(0).padStart(5)} ms per batch of ${BATCH}`
  console.log(`\nend to end: the service's stages vs the same models back to back, default config (${e2e.workers} text-model workers; result cache off), medians of ${repeats} alternating passes`)
  console.log(line('model-only (stage 1 + stage 2 calls)', e2e.model))
  console.log(line('stages (stage 1, knowledge, stage 2)', e2e.service))
  console.log(`stages / model-only ${(e2e.service.postsPerSecond / e2e.model.postsPerSecond).toFixed(2)}x`)
  await mkdir(path.dirname(values.report), { recursive: true })
  await writeFile(values.report, `${JSON.stringify({ inputs: inputs.source, rows, agreements, endToEnd: e2e }, null, 2)}\n`)
  console.log(`\nreport: ${values.report}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
