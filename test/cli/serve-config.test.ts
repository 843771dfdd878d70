// `groundstream serve --config FILE` (or GS_CONFIG) reads the same file as
// `run` and `eval`: a bad file is refused before anything listens, as run
// refuses it.
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtCli } from '../support/paths.js'

const MAIN = builtCli()

function serveWith (config: unknown, how: 'flag' | 'env'): { code: number | null, stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-config-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  const env: Record<string, string | undefined> = { ...process.env, ...(how === 'env' ? { GS_CONFIG: file } : {}) }
  delete env.GS_DEBUG
  const args = [MAIN, 'serve', '--port', '0', ...(how === 'flag' ? ['--config', file] : [])]
  const result = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 })
  return { code: result.status, stderr: result.stderr }
}

test('serve rejects a config file with an unknown setting, from --config or GS_CONFIG', () => {
  for (const how of ['flag', 'env'] as const) {
    const { code, stderr } = serveWith({ elasticsearch: { noSuchSetting: 1 } }, how)
    expect(code, how).toBe(2)
    expect(stderr).toMatch(/noSuchSetting/)
    expect(stderr).toMatch(/\[GS_ERR_CONFIG\]/)
  }
})
