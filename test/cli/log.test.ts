// Logs a person can read on a terminal (src/cli/log.ts): --log-format beats
// GS_LOG_FORMAT beats the terminal test; the pretty form is one line per
// record (time, level, message, fields), and a command writes it to stderr.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { formatPrettyLine, prettyDestination, resolveLogFormat } from '../../src/cli/log.js'
import { isGroundstreamError } from '../../src/errors/index.js'
import { builtCli } from '../support/paths.js'

test('the format: the flag, else GS_LOG_FORMAT, else pretty on a terminal and JSON elsewhere', () => {
  expect(resolveLogFormat(undefined, {}, true)).toBe('pretty')
  expect(resolveLogFormat(undefined, {}, false)).toBe('json')
  expect(resolveLogFormat(undefined, { GS_LOG_FORMAT: 'pretty' }, false)).toBe('pretty')
  expect(resolveLogFormat(undefined, { GS_LOG_FORMAT: 'json' }, true)).toBe('json')
  expect(resolveLogFormat('json', { GS_LOG_FORMAT: 'pretty' }, true)).toBe('json')
  assert.throws(() => resolveLogFormat('yaml', {}, true), (error: unknown) => isGroundstreamError(error, 'GS_ERR_USAGE') && error.message === '--log-format must be pretty or json, got yaml')
  assert.throws(() => resolveLogFormat(undefined, { GS_LOG_FORMAT: 'text' }, true), (error: unknown) => isGroundstreamError(error, 'GS_ERR_CONFIG') && /GS_LOG_FORMAT must be pretty or json, got text/.test(error.message))
})

test('a pretty line: time, level, message, then the fields; pid and hostname left out; an error by its message', () => {
  const time = Date.UTC(2026, 11, 8, 10, 4, 5, 67)
  const line = JSON.stringify({ level: 40, time, pid: 1, hostname: 'h', msg: 'Elasticsearch does not answer yet', url: 'http://127.0.0.1:9200', documents: 3, note: 'two words', err: { type: 'Error', message: 'refused', stack: 'Error: refused\n    at x' } })
  expect(formatPrettyLine(line)).toBe('10:04:05.067 WARN  Elasticsearch does not answer yet url=http://127.0.0.1:9200 documents=3 note="two words" err="refused"\n')
  expect(formatPrettyLine(line, true).startsWith('10:04:05.067 \u001b[33mWARN\u001b[0m  Elasticsearch'), 'the level in its colour').toBeTruthy()
  expect(formatPrettyLine('not json')).toBe('not json\n')
})

test('pino through the pretty destination writes one readable line per record', () => {
  const written: string[] = []
  const logger = pino({ level: 'info' }, prettyDestination({ write: (text) => written.push(text) }))
  logger.info({ file: 'out/entities.jsonl', lines: 2 }, 'entity documents loaded')
  logger.debug('not at this level')
  expect(written.length).toBe(1)
  expect(written[0] as string).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}entity documents loaded file=out\/entities\.jsonl lines=2\n$/u)
})

test('a command logs JSON to a pipe, and pretty lines with --log-format pretty or GS_LOG_FORMAT=pretty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-log-format-'))
  try {
    // A file with no entity documents: serve --from logs what it loaded, then refuses it (exit 2).
    const file = join(dir, 'empty.jsonl')
    writeFileSync(file, '{"not": "a document"}\n')
    const serve = (args: string[], env: Record<string, string> = {}): string => {
      const environment: Record<string, string | undefined> = { ...process.env, ...env }
      delete environment.GS_LOG_FORMAT
      Object.assign(environment, env)
      const result = spawnSync(process.execPath, [builtCli(), 'serve', '--from', file, '--port', '0', ...args], { cwd: dir, env: environment, encoding: 'utf8', timeout: 60_000 })
      expect(result.status, result.stderr).toBe(2)
      return result.stderr
    }
    const loaded = /"msg":"entity documents loaded"/u
    const pretty = /^\d\d:\d\d:\d\d\.\d{3} INFO {2}entity documents loaded file=\S+empty\.jsonl lines=1 documents=0 skipped=1/mu
    expect(serve([])).toMatch(loaded)
    expect(serve(['--log-format', 'pretty'])).toMatch(pretty)
    expect(serve([], { GS_LOG_FORMAT: 'pretty' })).toMatch(pretty)
    expect(serve(['--log-format', 'json'], { GS_LOG_FORMAT: 'pretty' })).toMatch(loaded)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
