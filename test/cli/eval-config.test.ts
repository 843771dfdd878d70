// `groundstream eval --config FILE` builds its stages from the same config as
// `run`: a setting in the file (here, the models folder) is what eval uses,
// and a bad file is rejected like run rejects it.
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtCli, repoPath } from '../support/paths.js'

const MAIN = builtCli()
const DATA = repoPath('test/fixtures/gmner-mini')

function evalWith (config: unknown, ...args: string[]): { code: number | null, stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-eval-config-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.GS_DEBUG
  delete env.GS_MODELS_DIR
  const result = spawnSync(process.execPath, [MAIN, 'eval', '--config', file, '--data', DATA, '--report', join(dir, 'eval.json'), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stderr: result.stderr }
}

test('eval takes the models folder from --config', () => {
  const { code, stderr } = evalWith({ textModels: { modelsDir: '/nonexistent/gs-eval-models' } })
  expect(code).toBe(1)
  expect(stderr).toMatch(/\/nonexistent\/gs-eval-models.*\[GS_ERR_MODEL_MISSING\]/)
})

test('eval rejects a config file with an unknown setting, as run does', () => {
  const { code, stderr } = evalWith({ textModels: { noSuchSetting: 1 } })
  expect(code).toBe(2)
  expect(stderr).toMatch(/noSuchSetting/)
  expect(stderr).toMatch(/\[GS_ERR_CONFIG\]/)
})

test('--models still overrides the config file', () => {
  const { code, stderr } = evalWith({ textModels: { modelsDir: repoPath('models') } }, '--models', '/nonexistent/gs-flag-models')
  expect(code).toBe(1)
  expect(stderr).toMatch(/\/nonexistent\/gs-flag-models/)
})
