// Each command's help says what its code does: `help X` and `X --help` print
// the same text, every flag the command parses is in it and it names no flag
// the command would refuse, and no sentence runs into an example line (the
// `help run` text once read "serve --from out/entities.jsonl With brokers").
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { builtCli } from '../support/paths.js'
import * as evalCommand from '../../src/cli/eval.js'
import * as knowledgeDump from '../../src/cli/knowledge-dump.js'
import * as run from '../../src/cli/run.js'
import * as serve from '../../src/cli/serve.js'

const COMMANDS = ['run', 'serve', 'eval', 'knowledge-dump'] as const

function cli (args: string[]): { code: number | null, stdout: string } {
  const result = spawnSync(process.execPath, [builtCli(), ...args], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 })
  return { code: result.status, stdout: result.stdout }
}

const MODULES: Record<typeof COMMANDS[number], { USAGE: string, FLAGS: Readonly<Record<string, unknown>> }> = {
  run, serve, eval: evalCommand, 'knowledge-dump': knowledgeDump
}

test('help <command> and <command> --help print the same text', () => {
  for (const name of COMMANDS) {
    const viaHelp = cli(['help', name])
    const viaFlag = cli([name, '--help'])
    expect(viaHelp.code, name).toBe(0)
    expect(viaFlag.code, name).toBe(0)
    expect(viaHelp.stdout, name).toBe(viaFlag.stdout)
  }
})

test('every flag a command parses is in its usage, and its usage names no other', () => {
  for (const name of COMMANDS) {
    const { USAGE, FLAGS } = MODULES[name]
    const parsed = Object.keys(FLAGS).filter((flag) => flag !== 'help')
    const flagsIn = (text: string): Set<string> => new Set([...text.matchAll(/--([a-z][a-z-]*[a-z])/gu)].map((match) => match[1] as string))
    for (const flag of parsed) expect(flagsIn(USAGE).has(flag), `${name}: --${flag} is parsed but not in the usage`).toBeTruthy()
    // The synopsis (up to the first blank line) and the option list (lines that start with a flag) name only the command's own flags.
    const synopsis = USAGE.slice(0, USAGE.indexOf('\n\n'))
    const optionLines = USAGE.split('\n').filter((line) => /^\s+--/u.test(line)).map((line) => line.trim().split(/\s/u)[0] as string).join(' ')
    for (const flag of flagsIn(`${synopsis} ${optionLines}`)) expect(parsed.includes(flag), `${name}: the usage offers --${flag}, which ${name} refuses`).toBeTruthy()
  }
})

test('run\'s usage: the example command stands on its own line; source and sink are described apart', () => {
  const { USAGE } = run
  const example = USAGE.split('\n').find((line) => line.includes('groundstream serve --from'))
  expect(example?.trim()).toBe('groundstream serve --from out/entities.jsonl')
  expect(USAGE).toMatch(/with an Elasticsearch URL \(GS_ELASTICSEARCH_URL or\s+elasticsearch\.url\) they are indexed there; without one they are written to\s+--output/u)
  for (const line of USAGE.split('\n')) expect(line.length <= 100, `line too long: ${line}`).toBeTruthy()
})
