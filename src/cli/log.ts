// The logger every command writes to stderr with: pino's JSON lines for
// machines, or one readable line per record on a terminal (time, level,
// message, then the record's fields as key=value). --log-format pretty|json
// (or GS_LOG_FORMAT) chooses; without either, a terminal on stderr, where the
// logs go, gets pretty and anything else (a file, a pipe, a log collector)
// gets JSON. No pino-pretty: it is not a dependency, so the pretty form is
// this module's own destination stream.
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino'
import { GroundstreamError } from '../errors/index.js'
import { usageError } from './common.js'

export const LOG_FORMATS = ['pretty', 'json'] as const
export type LogFormat = typeof LOG_FORMATS[number]

const isLogFormat = (value: string): value is LogFormat => (LOG_FORMATS as readonly string[]).includes(value)

/** The format asked for by --log-format, else GS_LOG_FORMAT, else pretty on a terminal and JSON elsewhere. */
export function resolveLogFormat (flag: string | undefined, env: Readonly<Record<string, string | undefined>>, isTTY: boolean): LogFormat {
  if (flag !== undefined) {
    if (!isLogFormat(flag)) throw usageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, got ${flag}`)
    return flag
  }
  const fromEnv = env.GS_LOG_FORMAT
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isLogFormat(fromEnv)) throw new GroundstreamError('GS_ERR_CONFIG', `GS_LOG_FORMAT must be ${LOG_FORMATS.join(' or ')}, got ${fromEnv}`)
    return fromEnv
  }
  return isTTY ? 'pretty' : 'json'
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
/** ANSI colours per level on a colour terminal: grey, grey, green, yellow, red, red. */
const LEVEL_COLOURS: Readonly<Record<number, string>> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '31' }
/** pino's own fields, shown apart (time, level, msg) or not at all (pid, hostname). */
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v'])

function fieldValue (value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/u.test(value) ? value : JSON.stringify(value)
  if (value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    // A serialized error (pino's err): its message, not its stack.
    return JSON.stringify((value as { message: string }).message)
  }
  return JSON.stringify(value) ?? String(value)
}

/** One pino JSON record as "12:03:04.567 WARN  message key=value ..."; a line that is not a record comes back as it was. */
export function formatPrettyLine (line: string, colour = false): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`
  }
  const level = typeof record.level === 'number' ? record.level : 30
  const name = LEVEL_NAMES[level] ?? String(level)
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : ''
  const fields = Object.entries(record).filter(([key]) => !OWN_FIELDS.has(key)).map(([key, value]) => `${key}=${fieldValue(value)}`)
  const shownLevel = `${colour ? `\u001b[${LEVEL_COLOURS[level] ?? '0'}m${name}\u001b[0m` : name}${' '.repeat(Math.max(0, 5 - name.length))}`
  return `${[time, shownLevel, typeof record.msg === 'string' ? record.msg : '', ...fields].filter((part) => part !== '').join(' ')}\n`
}

/** A pino destination that writes each record as a pretty line to `out`. */
export function prettyDestination (out: { write: (text: string) => unknown, isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): DestinationStream {
  const colour = out.isTTY === true && env.NO_COLOR === undefined
  return { write: (line: string) => { out.write(formatPrettyLine(line, colour)) } }
}

/** The command's logger on stderr at `level`, in `format`. */
export function createLogger (level: LevelWithSilent, format: LogFormat): Logger {
  return pino({ level }, format === 'pretty' ? prettyDestination(process.stderr) : pino.destination(2))
}

