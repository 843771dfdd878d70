// The hint under a failure names the setting to change: a JSONL file run
// cannot write (which file, which flag/config key/variable), and a port in use
// (which address, and the flag or variable that moves it) for serve and for
// run's metrics endpoint. One line plus the hint, no stack trace.
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fixtureDocuments } from '../api/fixtures.js'
import { builtCli, repoPath } from '../support/paths.js'

function cli (args: string[], env: Record<string, string> = {}, cwd = tmpdir()): { code: number | null, stderr: string } {
  const environment: Record<string, string | undefined> = { ...process.env, GS_IMAGES_ENABLED: 'false', ...env }
  for (const key of ['GS_DEBUG', 'GS_KAFKA_BROKERS', 'GS_ELASTICSEARCH_URL', 'GS_METRICS_PORT', 'GS_CONFIG']) delete environment[key]
  Object.assign(environment, env)
  const result = spawnSync(process.execPath, [builtCli(), ...args], { cwd, env: environment, encoding: 'utf8', timeout: 120_000 })
  expect(result.signal, `timed out: ${result.stderr}`).not.toBe('SIGTERM')
  return { code: result.status, stderr: result.stderr }
}

const noStack = (text: string): void => { expect(text, `no stack trace:\n${text}`).not.toMatch(/^\s+at /mu) }

async function holdPort (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return { server, port: (server.address() as { port: number }).port }
}

test('run cannot write its output or its dead letters: the file, the flag and the config key; nothing left behind', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-sink-hint-'))
  try {
    // A file where the path needs a folder: ENOTDIR (a missing folder would be created).
    const blocker = join(dir, 'not-a-folder')
    writeFileSync(blocker, '')
    const input = repoPath('samples', 'posts.jsonl')
    const output = cli(['run', '--no-progress', '--input', input, '--output', join(blocker, 'entities.jsonl'), '--dead-letters', join(dir, 'dead.jsonl')], {}, dir)
    expect(output.code, output.stderr).toBe(1)
    expect(output.stderr).toMatch(/not-a-folder\/entities\.jsonl has a file where a folder is expected in its path.* \[GS_ERR_SINK\]\n/)
    expect(output.stderr).toMatch(/hint: \S+not-a-folder\/entities\.jsonl is where --output \(files\.output in the config file, GS_OUTPUT\) points: give it the path of a file you can write \(a missing folder is created\)/)
    noStack(output.stderr)

    // The dead-letter file is opened at start too: before, a bad path crashed the run at its first rejected post.
    const letters = cli(['run', '--no-progress', '--input', input, '--output', join(dir, 'entities.jsonl'), '--dead-letters', join(blocker, 'dead.jsonl')], {}, dir)
    expect(letters.code, letters.stderr).toBe(1)
    expect(letters.stderr).toMatch(/hint: \S+not-a-folder\/dead\.jsonl is where --dead-letters \(files\.deadLetters in the config file, GS_DEAD_LETTERS\) points/)
    noStack(letters.stderr)
    expect(readdirSync(dir), 'no output and no temporary file left behind').toStrictEqual(['not-a-folder'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('run\'s metrics port in use: the address and GS_METRICS_PORT / metrics.port', async () => {
  const { server, port } = await holdPort()
  try {
    const result = cli(['run', '--no-progress', '--output', join(tmpdir(), 'gs-unused.jsonl')], { GS_METRICS_PORT: String(port) })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toMatch(new RegExp(`hint: 127\\.0\\.0\\.1:${port} is taken by another program: stop it, or give another metrics port: GS_METRICS_PORT or metrics\\.port in the config file`, 'u'))
    noStack(result.stderr)
  } finally {
    server.close()
  }
})

test('serve\'s port in use: the address, --port and GS_API_PORT', async () => {
  const { server, port } = await holdPort()
  const dir = mkdtempSync(join(tmpdir(), 'gs-port-hint-'))
  try {
    const file = join(dir, 'entities.jsonl')
    writeFileSync(file, fixtureDocuments('/media').map((doc) => JSON.stringify(doc)).join('\n') + '\n')
    const result = cli(['serve', '--from', file, '--host', '127.0.0.1', '--port', String(port)], { GS_LOG_LEVEL: 'error' })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`hint: 127\\.0\\.0\\.1:${port} is taken by another program: stop it, or give another --port \\(0 picks a free one\\), GS_API_PORT or port in the config file`, 'u'))
    noStack(result.stderr)
  } finally {
    server.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
