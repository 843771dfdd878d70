// What every `groundstream` command shares: where the installation lives (so
// models and samples are found from any working folder), how a failure
// becomes an exit code (2: the command line or config is wrong; 1: something
// at run time failed) and one line with a hint about what to do next.
import { readFileSync } from 'node:fs'
import { GroundstreamError, errorMessage, isGroundstreamError } from '../errors/index.js'
// install.ts directly, not the service's index: `--help` and `--version` must
// not load ONNX Runtime, kafkajs and the rest of the service.
import { installPath } from '../shared/install-paths.js'

export { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX, installPath } from '../shared/install-paths.js'

export function packageVersion (): string {
  const pkg = JSON.parse(readFileSync(installPath('package.json'), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

/** A wrong command line: printed as one line plus the command's usage, exit 2. */
export function usageError (message: string): GroundstreamError {
  return new GroundstreamError('GS_ERR_USAGE', message)
}

/** An error and the causes behind it, at most 8 deep. */
function* causeChain (error: unknown): Generator<{ code?: unknown, name?: unknown, address?: unknown, port?: unknown }> {
  let current: unknown = error
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    yield current as { code?: unknown, name?: unknown, address?: unknown, port?: unknown }
    current = (current as { cause?: unknown }).cause
  }
}

/** The first connection-refused style cause in an error chain, if any. */
function connectionCause (error: unknown): string | null {
  for (const { code, name } of causeChain(error)) {
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || name === 'ConnectionError' || name === 'NoLivingConnectionsError') {
      return String(code ?? name)
    }
  }
  return null
}

/** `host:port` of an EADDRINUSE anywhere in an error chain, if any. */
function addressInUse (error: unknown): string | null {
  for (const { code, address, port } of causeChain(error)) {
    if (code === 'EADDRINUSE') return typeof address === 'string' && typeof port === 'number' ? `${address}:${port}` : 'the address'
  }
  return null
}

/** What a command knows about where its settings come from, for the hint. */
export interface HintContext {
  /** The service a refused connection most likely went to. */
  service?: 'elasticsearch' | 'kafka' | 'redis'
  /** Where the port this command listens on is set, read after "give another" ("--port (0 picks a free one; or GS_API_PORT)"). */
  portSetting?: string
  /** Each file the command writes, and where its path is set ("--output (files.output, GS_OUTPUT)"). */
  fileSettings?: Readonly<Record<string, string>>
}

/** What to do next about a failure, when we know. */
export function hintFor (error: unknown, context: HintContext = {}): string | null {
  if (isGroundstreamError(error, 'GS_ERR_DATASET') && typeof error.details.path === 'string' && /\.txt$/u.test(error.details.path)) {
    return 'eval needs a data set in the Twitter-GMNER layout (<split>.txt, xml/): Twitter-GMNER is published with https://github.com/NUSTM/GMNER (text, annotations and images are linked from its README); unpack it and pass --data DIR'
  }
  if (isGroundstreamError(error, 'GS_ERR_MODEL_MISSING')) {
    return `the models ship in ${installPath('models')}; set GS_MODELS_DIR (or --models for eval) to another folder that holds stage1/ and stage2/`
  }
  const inUse = addressInUse(error)
  if (inUse !== null) {
    return `${inUse} is taken by another program: stop it, or give another ${context.portSetting ?? 'port'}`
  }
  if (isGroundstreamError(error, 'GS_ERR_SINK') && typeof error.details.file === 'string') {
    const file = error.details.file
    const setting = context.fileSettings?.[file]
    return setting === undefined
      ? `${file} is a file this command writes: give it the path of a file you can write (a missing folder is created)`
      : `${file} is where ${setting} points: give it the path of a file you can write (a missing folder is created)`
  }
  const service = isGroundstreamError(error, 'GS_ERR_KAFKA')
    ? 'kafka'
    : isGroundstreamError(error, 'GS_ERR_SINK') || isGroundstreamError(error, 'GS_ERR_SEARCH')
      ? 'elasticsearch'
      : connectionCause(error) !== null ? (context.service ?? 'elasticsearch') : null
  if (service === 'kafka') return 'is Kafka running? start it with scripts/services.sh start kafka, then eval "$(scripts/services.sh env)"'
  if (service === 'redis') return 'is Redis running? start it with scripts/services.sh start redis'
  if (service === 'elasticsearch') {
    return 'is Elasticsearch running? start it with scripts/services.sh start elasticsearch, then eval "$(scripts/services.sh env)" (or use serve --from out/entities.jsonl, which needs no cluster)'
  }
  return null
}

/**
 * One line (plus a hint) for a failure, and its exit code. Stack traces only
 * with GS_DEBUG=1: users get the message and what to do.
 */
export function reportFailure (command: string, error: unknown, usage: string | null, context: HintContext = {}): number {
  const isUsage = isGroundstreamError(error, 'GS_ERR_USAGE') || isGroundstreamError(error, 'GS_ERR_CONFIG')
  const code = error instanceof GroundstreamError ? ` [${error.code}]` : ''
  const see = isGroundstreamError(error, 'GS_ERR_USAGE') && usage !== null ? ` (see groundstream help ${command})` : ''
  const lines = [`groundstream${command === '' ? '' : ` ${command}`}: ${errorMessage(error)}${code}${see}`]
  const hint = hintFor(error, context)
  if (hint !== null) lines.push(`  hint: ${hint}`)
  if (process.env.GS_DEBUG === '1' && error instanceof Error && error.stack !== undefined) lines.push(error.stack)
  process.stderr.write(`${lines.join('\n')}\n`)
  return isUsage ? 2 : 1
}
