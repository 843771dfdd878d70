// Shared by the deploy and observability tests: the repository root, YAML
// loading, and finding the external validators (promtool, docker-compose,
// chromium). A missing tool skips the test locally with a message saying how
// to install it; under CI=true it fails, so a green CI run means it ran.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import type { TestContext } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ROOT } from '../support/paths.js'

export { ROOT, repoPath } from '../support/paths.js'

export type YamlObject = Record<string, unknown>

/** Every document of a (multi-document) YAML file; a syntax error fails loudly. */
export function loadYamlDocuments (path: string): YamlObject[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'))
  const out: YamlObject[] = []
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`)
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: a document is not a mapping`)
    out.push(value as YamlObject)
  }
  return out
}

export function loadYaml (path: string): YamlObject {
  const docs = loadYamlDocuments(path)
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`)
  return docs[0] as YamlObject
}

/** Absolute path of a tool on PATH (or at one of `extra`), or null. */
export function which (name: string, extra: string[] = []): string | null {
  for (const candidate of extra) if (existsSync(candidate)) return candidate
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  const path = found.stdout.trim()
  return found.status === 0 && path !== '' ? path : null
}

const INSTALL_HINT = 'install it with: bash scripts/setup-ops-tools.sh'

/**
 * The tool's path, or null after marking the test skipped. Under CI a missing
 * tool is a failure: the pipeline is meant to install it.
 */
export function requireTool (t: TestContext, name: string, extra: string[] = []): string | null {
  const path = which(name, extra)
  if (path !== null) return path
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${name} is not installed and CI is set; ${INSTALL_HINT}`)
  }
  t.skip(`${name} not installed; ${INSTALL_HINT}`)
  return null
}

export interface RunResult {
  status: number | null
  output: string
}

export function run (command: string, args: string[], cwd = ROOT): RunResult {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 })
  if (result.error !== undefined) throw result.error
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

export function get (value: unknown, ...path: Array<string | number>): unknown {
  let node = value
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return node
}
