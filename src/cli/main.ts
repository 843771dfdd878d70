#!/usr/bin/env node
// Entry point: `groundstream <command> [options]`. Each command lives in its
// own module exporting `main(argv): Promise<number>` (the exit code) and its
// USAGE text. Exit codes: 0 done, 1 a run-time failure (with a hint), 2 a
// wrong command line or configuration (one line, no stack trace).
import { didYouMean, unknownWord } from './args.js'
import { packageVersion, reportFailure, type HintContext } from './common.js'

const COMMANDS = Object.freeze({
  run: { module: './run.js', summary: 'run the pipeline (embedded default, or Kafka/Elasticsearch from config)' },
  serve: { module: './serve.js', summary: 'serve the search/tracking API and the entity viewer (Elasticsearch, or --from FILE)' },
  eval: { module: './eval.js', summary: 'evaluate the models on a Twitter-GMNER-layout data set' },
  'knowledge-dump': { module: './knowledge-dump.js', summary: 'write the knowledge joined to a data set\'s gold entities (for retraining stage 2)' },
  help: { module: '', summary: 'show how to use a command: groundstream help <command>' }
} satisfies Record<string, { module: string, summary: string }>)

type CommandName = keyof typeof COMMANDS

/** A command: its main, its usage and, where it has them, what its failure hints should name (hintFor). */
interface CommandModule { main: (args: string[]) => Promise<number>, USAGE: string, HINTS?: HintContext }

function usage (): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(15)} ${command.summary}`)
  return [
    'usage: groundstream <command> [options]',
    '       groundstream --version',
    '',
    'commands:',
    ...lines,
    '',
    'First steps: `npx groundstream run` boxes the bundled sample posts into',
    'out/entities.jsonl; `npx groundstream serve --from out/entities.jsonl` then',
    'shows them in the viewer at http://127.0.0.1:8080/ (no cluster needed).',
    ''
  ].join('\n')
}

function isCommand (name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name)
}

async function load (name: Exclude<CommandName, 'help'>): Promise<CommandModule> {
  return await import(COMMANDS[name].module) as CommandModule
}

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  if (name === undefined || name === '--help' || name === '-h') {
    ;(name === undefined ? process.stderr : process.stdout).write(usage())
    return name === undefined ? 2 : 0
  }
  if (!isCommand(name)) {
    process.stderr.write(`groundstream: ${unknownWord('command', name, didYouMean(name, Object.keys(COMMANDS)))} (commands: ${Object.keys(COMMANDS).join(', ')}; see groundstream --help)\n`)
    return 2
  }
  if (name === 'help') {
    const topic = rest[0]
    if (topic === undefined) {
      process.stdout.write(usage())
      return 0
    }
    if (!isCommand(topic) || topic === 'help') {
      const topics = Object.keys(COMMANDS).filter((c) => c !== 'help')
      process.stderr.write(`groundstream help: ${unknownWord('command', topic, didYouMean(topic, topics))} (commands: ${topics.join(', ')})\n`)
      return 2
    }
    process.stdout.write((await load(topic)).USAGE)
    return 0
  }
  const command = await load(name)
  try {
    return await command.main(rest)
  } catch (error) {
    return reportFailure(name, error, command.USAGE, command.HINTS)
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => { process.exitCode = reportFailure('', error, null) }
)
