// The service's composition root: one way to build and run groundstream from
// a parsed config, used by `run`, `eval`, `serve` and the benchmarks (serve's
// own config comes from the same file and variables: api-config.ts). Every
// client is made here (clients.ts) and passed down; stages are chosen in one
// place (build-stages.ts); start.ts wires the pipeline and pairs each step
// with its close; run-file.ts and run-kafka.ts drive the two modes, and
// in-memory.ts the same pipeline over a list of posts (eval).
import { open } from 'node:fs/promises'
import { pino } from 'pino'
import type { AppConfig } from '../config/index.js'
import { wrapError } from '../errors/index.js'
import { runFile, type FileRunResult } from './run-file.js'
import { runKafka } from './run-kafka.js'
import { configuredSink, configuredSource, startService, type ServiceDeps } from './start.js'
import type { RunSummary } from './summary.js'
import { assertDistinctFiles } from './file-identity.js'

export { loadApiConfig, type LoadApiConfigOptions } from './api-config.js'
export { loadReport, startApi, type ApiStore, type StartedApi } from './api.js'
export { buildStages, type BuildStagesDeps, type BuiltStages } from './build-stages.js'
export { connectKnowledgeRedis, createElasticsearchClient, createKafka, readSecretFile, type ElasticsearchClientOptions } from './clients.js'
export { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX, installDefaults, installPath } from './install.js'
export { inInputOrder, startInMemoryProcessor, type InMemoryProcessOptions, type InMemoryProcessor, type InMemoryRun } from './in-memory.js'
export { runKafka } from './run-kafka.js'
export { configuredSink, configuredSource, startService, type ProcessorDeps, type ServiceDeps, type SinkKind, type SourceKind, type StartedService, type SuppliedSinks } from './start.js'
export { SummaryCollector, countingSink, type BoxedExample, type RunSummary, type StageSummary } from './summary.js'

async function assertReadable (path: string): Promise<void> {
  try {
    const handle = await open(path, 'r')
    await handle.close()
  } catch (error) {
    throw wrapError('GS_ERR_CONFIG', `cannot read input ${path}`, error)
  }
}

/** Runs the service until the input ends (file mode) or a signal arrives (Kafka mode). */
export async function runService (config: Readonly<AppConfig>, deps: ServiceDeps = {}): Promise<RunSummary> {
  const started = performance.now()
  const logger = deps.logger ?? pino({ level: config.log.level }, pino.destination(2))
  const mode = configuredSource(config)
  const sinkKind = configuredSink(config)
  // File mode: the input must be readable, and no two of the run's files the
  // same file, before any output file is touched.
  if (mode === 'file') {
    await assertReadable(config.files.input)
    assertDistinctFiles([
      { flag: '--input', path: config.files.input },
      ...(sinkKind === 'jsonl' ? [{ flag: '--output', path: config.files.output }] : []),
      { flag: '--dead-letters', path: config.files.deadLetters }
    ])
  }
  const service = await startService(config, logger, deps, started)
  let exitCode: number
  let fileRun: FileRunResult | undefined
  try {
    if (mode === 'file') {
      fileRun = await runFile(service, config, deps)
      exitCode = fileRun.exitCode
    } else {
      exitCode = (await runKafka(service, config, deps)).exitCode
    }
  } finally {
    await service.close()
  }
  const { collector } = service
  const committed = fileRun?.committed ?? true
  return {
    mode,
    sink: sinkKind,
    elapsedMs: performance.now() - started,
    startupMs: service.startupMs,
    processingMs: collector.postsDone === 0 ? 0 : collector.lastDoneAt - collector.firstBatchAt,
    ...(fileRun === undefined ? {} : { source: fileRun.source }),
    postsDone: collector.postsDone,
    documents: collector.documents,
    deadLetters: collector.deadLetters,
    batches: collector.batches,
    stages: collector.stages,
    sinkStats: collector.sink,
    pipelineLatencyMs: collector.latency(),
    images: collector.images,
    boxed: collector.boxed,
    ...(collector.resultCache === null ? {} : { resultCache: collector.resultCache() }),
    ...(sinkKind === 'jsonl' && committed ? { output: config.files.output } : {}),
    ...(mode === 'file' ? { deadLetterFile: config.files.deadLetters } : {}),
    ...(sinkKind === 'elasticsearch' ? { index: config.elasticsearch.index } : {}),
    exitCode
  }
}
