// A start-up failure stops every worker and exits (issue 29's first row): a
// user catalogue with a bad line failed the knowledge stage while the image
// stage was still starting its workers, and the process never exited.
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtCli, repoPath } from '../support/paths.js'

test('run with a bad user catalogue line exits 2 at once, naming file and line, with every worker stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-bad-catalogue-'))
  const catalogue = join(dir, 'brands.jsonl')
  writeFileSync(catalogue, '{"name": "Acme Rockets", "type": "ORG", "description": "a project-written brand"}\nnot json\n')
  const env: Record<string, string | undefined> = { ...process.env, GS_CATALOGUE: catalogue }
  delete env.GS_DEBUG
  const started = Date.now()
  const result = spawnSync(process.execPath, [builtCli(), 'run', '--input', repoPath('samples', 'posts.jsonl'), '--output', join(dir, 'out.jsonl'), '--dead-letters', join(dir, 'dead.jsonl'), '--no-progress'], {
    cwd: dir, env, encoding: 'utf8', timeout: 90_000
  })
  expect(result.signal, `the run did not exit within 90 s (it hung): ${result.stderr}`).not.toBe('SIGTERM')
  expect(result.status, result.stderr).toBe(2)
  expect(result.stderr).toMatch(/invalid catalogue: .*brands\.jsonl:2: not JSON \[GS_ERR_CONFIG\]/)
  expect(Date.now() - started < 60_000).toBeTruthy()
  expect(readdirSync(dir), 'nothing written').toStrictEqual(['brands.jsonl'])
})
