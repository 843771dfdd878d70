// `groundstream run`: flags, signals and output. The service itself (its
// clients, stages, pipeline and the two run modes) is built by src/service
// from the parsed config. With no Kafka brokers configured it runs the
// embedded default (a JSONL file of posts into a JSONL file of entity
// documents, with a progress bar and a summary); with brokers it consumes
// Kafka and indexes into Elasticsearch until SIGTERM/SIGINT.
import { pino } from 'pino'
import { SingleBar } from 'cli-progress'
import { loadConfig, type AppConfig } from '../config/index.js'
import { configuredSource, installDefaults, runService } from '../service/index.js'
import { intFlag, parseFlags, reportFailure } from './common.js'
import { formatSummary } from './summary.js'

export const USAGE = `usage: groundstream run [--config FILE] [--input FILE] [--output FILE] [--dead-letters FILE]
                       [--batch-size N] [--batch-wait-ms N] [--no-progress] [--quiet]

With no Kafka brokers configured (GS_KAFKA_BROKERS or kafka.brokers in the
config file) this runs the embedded default: the posts in --input (default
the installation's samples/posts.jsonl) go through the whole pipeline and
entity documents are written to --output (default out/entities.jsonl in the
current folder), rejected lines to --dead-letters (default
out/dead-letters.jsonl). Look at them with
  groundstream serve --from out/entities.jsonl With brokers it consumes
the Kafka topic and indexes into Elasticsearch (GS_ELASTICSEARCH_URL) until
SIGTERM or SIGINT.
`

export async function main (argv: string[]): Promise<number> {
  const values = parseFlags(argv, {
    config: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    'dead-letters': { type: 'string' },
    'batch-size': { type: 'string' },
    'batch-wait-ms': { type: 'string' },
    'no-progress': { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  })
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  const files: Record<string, unknown> = {}
  const pipelineFlags: Record<string, unknown> = {}
  if (values.input !== undefined) files.input = values.input
  if (values.output !== undefined) files.output = values.output
  if (values['dead-letters'] !== undefined) files.deadLetters = values['dead-letters']
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
  const logger = pino({ level: isFile && config.log.level === 'info' ? 'warn' : config.log.level }, pino.destination(2))
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
    return reportFailure('run', error, USAGE)
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
}
