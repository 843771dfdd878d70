#!/usr/bin/env node
// Entry point: `groundstream <command> [options]`. Each command lives in its
// own module exporting `main(argv): Promise<number>` (the exit code).
const COMMANDS = Object.freeze({
  run: { module: './run.js', summary: 'run the pipeline (embedded default, or Kafka/Elasticsearch from config)' },
  eval: { module: './eval.js', summary: 'evaluate the models on a Twitter-GMNER-layout data set' },
  serve: { module: './serve.js', summary: 'serve the search/tracking API and the entity viewer page' }
} satisfies Record<string, { module: string, summary: string }>)

type CommandName = keyof typeof COMMANDS

function usage (): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  return `usage: groundstream <command> [options]\n\ncommands:\n${lines.join('\n')}\n`
}

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage())
    return name === undefined ? 2 : 0
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`groundstream: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  const command = COMMANDS[name as CommandName]
  const loaded = await import(command.module) as { main: (args: string[]) => Promise<number> }
  return await loaded.main(rest)
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    process.stderr.write(`groundstream: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  }
)
