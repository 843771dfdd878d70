// `groundstream run`: flags, signals and output. The service itself (its
// clients, stages, pipeline and the two run modes) is built by src/service
// from the parsed config. The source and the sink are chosen apart: with no
// Kafka brokers configured it reads a JSONL file of posts (with a progress bar
// and a summary), with brokers it consumes Kafka until SIGTERM/SIGINT; with an
// Elasticsearch URL it indexes there, without one it writes a JSONL file.
import { SingleBar } from 'cli-progress'
import { loadConfig, type AppConfig } from '../config/index.js'
import { configuredSource, installDefaults, runService } from '../service/index.js'
import { intFlag, parseFlags } from './args.js'
import { reportFailure, type HintContext } from './common.js'
import { createLogger, resolveLogFormat } from './log.js'
import { formatSummary } from './summary.js'

export const USAGE = `usage: groundstream run [--config FILE] [--input FILE] [--output FILE] [--dead-letters FILE]
                       [--batch-size N] [--batch-wait-ms N] [--no-progress] [--quiet]
                       [--log-format pretty|json]

Where posts come from: with no Kafka brokers configured (GS_KAFKA_BROKERS or
kafka.brokers in the config file) it reads the posts in --input (default the
installation's samples/posts.jsonl), runs them through the whole pipeline and
exits; with brokers it consumes the Kafka topic until SIGTERM or SIGINT.

Where entity documents go: with an Elasticsearch URL (GS_ELASTICSEARCH_URL or
elasticsearch.url) they are indexed there; without one they are written to
--output (default out/entities.jsonl in the current folder; a Kafka run
appends to it). Rejected lines go to --dead-letters (default
out/dead-letters.jsonl), or to the dead-letter topic when Kafka is the source.

  --config FILE       the JSON config file (or GS_CONFIG); flags override it
  --batch-size N      posts per micro-batch, 1 to 4096 (pipeline.maxBatchSize)
  --batch-wait-ms N   longest wait to fill a micro-batch, 0 to 60000 ms
                      (pipeline.maxWaitMs)
  --no-progress       no progress bar (one is drawn only on a terminal)
  --quiet             neither progress bar nor summary
  --log-format F      pretty (one readable line per record) or json; default
                      GS_LOG_FORMAT, else pretty when stderr is a terminal

Look at the entity documents of a file run in the viewer (no cluster needed):
  groundstream serve --from out/entities.jsonl
`

/** The flags run takes (its USAGE lists each one). */
export const FLAGS = {
  config: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  'dead-letters': { type: 'string' },
  'batch-size': { type: 'string' },
  'batch-wait-ms': { type: 'string' },
  'no-progress': { type: 'boolean' },
  quiet: { type: 'boolean' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export async function main (argv: string[]): Promise<number> {
  const values = parseFlags(argv, FLAGS)
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  const files: Record<string, unknown> = {}
  const pipelineFlags: Record<string, unknown> = {}
  if (values.input !== undefined) files.input = values.input
  if (values.output !== undefined) files.output = values.output
  if (values['dead-letters'] !== undefined) files.deadLetters = values['dead-letters']
  const logFormat = resolveLogFormat(values['log-format'], process.env, process.stderr.isTTY === true)
  const batchSize = intFlag('batch-size', values['batch-size'], 1, 4096)
  const batchWait = intFlag('batch-wait-ms', values['batch-wait-ms'], 0, 60_000)
  if (batchSize !== undefined) pipelineFlags.maxBatchSize = batchSize
  if (batchWait !== undefined) pipelineFlags.maxWaitMs = batchWait
  const load = (defaults: Record<string, unknown>): Readonly<AppConfig> => loadConfig({
    env: process.env,
    ...(values.config === undefined ? {} : { file: values.config }),
    defaults,
    overrides: { files, pipeline: pipelineFlags }
  })
  let config = load(installDefaults())
  const isFile = configuredSource(config) === 'file'
  // The embedded run reads the sample posts' images from the installation
  // (a folder mapped to a URL prefix): the network guard stays as it is, and
  // a Kafka run never gets the mapping unless its config asks for one.
  if (isFile) config = load(installDefaults({ sampleImages: true }))
  const logger = createLogger(isFile && config.log.level === 'info' ? 'warn' : config.log.level, logFormat)
  const controller = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    logger.info({ signal }, 'signal received')
    controller.abort()
    if (signals === 1) {
      // Time limit on the whole shutdown: past it, exit anyway (uncommitted posts are read again).
      setTimeout(() => {
        logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'shutdown timed out; exiting')
        process.exit(1)
      }, config.shutdown.timeoutMs).unref()
    } else {
      process.exit(130)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const showProgress = isFile && values['no-progress'] !== true && values.quiet !== true && process.stderr.isTTY === true
  const bar = showProgress
    ? new SingleBar({ format: '  {bar} {percentage}% | {value}/{total} posts | {duration_formatted}', hideCursor: true, stream: process.stderr, clearOnComplete: false })
    : null
  try {
    const summary = await runService(config, {
      logger,
      signal: controller.signal,
      ...(bar === null
        ? {}
        : { progress: { start: (total) => { bar.start(total, 0) }, update: (done) => { bar.update(done) }, stop: () => { bar.stop() } } })
    })
    if (values.quiet !== true) process.stdout.write(formatSummary(summary))
    return summary.exitCode
  } catch (error) {
    bar?.stop()
    return reportFailure('run', error, USAGE, hints(config))
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
}

/** Where run's files and port are set, for the hint of a failure. */
function hints (config: Readonly<AppConfig>): HintContext {
  return {
    portSetting: 'metrics port: GS_METRICS_PORT or metrics.port in the config file (0 turns the metrics endpoint off)',
    fileSettings: {
      [config.files.deadLetters]: '--dead-letters (files.deadLetters in the config file, GS_DEAD_LETTERS)',
      [config.files.output]: '--output (files.output in the config file, GS_OUTPUT)'
    }
  }
}
