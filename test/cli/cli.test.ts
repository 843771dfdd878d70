// The `groundstream` command as a user meets it: version, help, exit codes
// (2 and one line for a wrong command line, 1 and a hint for a run-time
// failure), never a stack trace, and the same behaviour from any folder.
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtCli, repoPath } from '../support/paths.js'

const MAIN = builtCli()

function cli (args: string[], options: { cwd?: string, env?: Record<string, string> } = {}): { code: number | null, stdout: string, stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env, ...(options.env ?? {}) }
  delete env.GS_DEBUG
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: options.cwd ?? tmpdir(), env, encoding: 'utf8', timeout: 60_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const noStack = (text: string): void => { expect(text, `no stack trace:\n${text}`).not.toMatch(/^\s+at /mu) }

test('--version prints the package version', () => {
  const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version
  for (const flag of ['--version', '-V']) {
    const { code, stdout } = cli([flag])
    expect(code).toBe(0)
    expect(stdout).toBe(`${version}\n`)
  }
})

test('help <command> prints that command\'s usage; help for an unknown command is a usage error', () => {
  for (const command of ['run', 'serve', 'eval']) {
    const { code, stdout } = cli(['help', command])
    expect(code, command).toBe(0)
    expect(stdout).toMatch(new RegExp(`^usage: groundstream ${command} `, 'u'))
  }
  const serve = cli(['help', 'serve'])
  expect(serve.stdout).toMatch(/--from FILE/)
  const unknown = cli(['help', 'nope'])
  expect(unknown.code).toBe(2)
  expect(unknown.stderr).toMatch(/unknown command 'nope' \(commands: run, serve/)
  expect(cli(['help', 'rn']).stderr).toMatch(/unknown command 'rn'; did you mean run\?/)
  const general = cli(['--help'])
  expect(general.code).toBe(0)
  expect(general.stdout).toMatch(/serve --from out\/entities\.jsonl/)
})

test('usage errors exit 2 with one line and no stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '--port', '99999'], /--port must be at most 65535, got 99999/],
    [['serve', '--bogus'], /unknown option '--bogus' \[GS_ERR_USAGE\]/],
    [['run', '--batch-size', 'many'], /--batch-size must be a positive integer, got many \[GS_ERR_USAGE\] \(see groundstream help run\)/],
    [['run', '--batch-size', '-3'], /--batch-size must be a positive integer, got -3/],
    [['eval', '--limit', '-3'], /--limit must be a positive integer, got -3 \[GS_ERR_USAGE\] \(see groundstream help eval\)/],
    [['eval', '--knowledge', 'maybe'], /--knowledge must be auto, on or off/],
    [['frobnicate'], /unknown command 'frobnicate' \(commands:/],
    [['rn'], /unknown command 'rn'; did you mean run\? \(commands:/],
    [['rnu'], /unknown command 'rnu'; did you mean run\?/],
    [['run', '--batchsize', '8'], /unknown option '--batchsize'; did you mean --batch-size\?/],
    [['run', '--ouput', 'x.jsonl'], /unknown option '--ouput'; did you mean --output\?/],
    [['eval', '--recogniser', 'mqspn'], /unknown option '--recogniser'; did you mean --recognizer\?/],
    [['serve', '--fro', 'x.jsonl'], /unknown option '--fro'; did you mean --from\?/],
    [['knowledge-dump', '--split', 'dev'], /unknown option '--split'; did you mean --splits\?/]
  ]
  for (const [args, pattern] of cases) {
    const { code, stderr } = cli(args)
    expect(code, args.join(' ')).toBe(2)
    expect(stderr, args.join(' ')).toMatch(pattern)
    expect(stderr.trimEnd().split('\n').length, `one line for ${args.join(' ')}:\n${stderr}`).toBe(1)
    noStack(stderr)
  }
})

test('run-time failures exit 1 with a hint: missing eval data, Elasticsearch down', () => {
  const missing = cli(['eval', '--data', join(tmpdir(), 'no-such-gmner')])
  expect(missing.code).toBe(1)
  expect(missing.stderr).toMatch(/dev\.txt not found \[GS_ERR_DATASET\]/)
  expect(missing.stderr).toMatch(/hint: .*Twitter-GMNER.*--data DIR/)
  noStack(missing.stderr)

  // Port 9 (discard) on loopback: nothing listens, the connection is refused.
  const down = cli(['serve', '--demo', '--port', '0', '--elasticsearch', 'http://127.0.0.1:9'])
  expect(down.code).toBe(1)
  expect(down.stderr).toMatch(/hint: is Elasticsearch running\? start it with scripts\/services\.sh start elasticsearch/)
  noStack(down.stderr)
})

test('run finds its models and samples from any working folder', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-cli-run-'))
  try {
    const { code, stdout, stderr } = cli(['run', '--no-progress', '--output', join(dir, 'entities.jsonl'), '--dead-letters', join(dir, 'dead.jsonl')], {
      cwd: dir, env: { GS_IMAGES_ENABLED: 'false' }
    })
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/entity documents\s+\d+/)
    expect(readFileSync(join(dir, 'entities.jsonl'), 'utf8').length > 0).toBeTruthy()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
