// The test count is honest and tests never run helper modules: vitest picks up
// only test/**/*.test.ts (never fakes, harnesses or the fake-stage service,
// which writes into out/ with its default config), runs the files one at a
// time (they share Kafka, Elasticsearch and Redis), and ends with the plain
// `N passed, N failed, N skipped` line; npm test runs exactly that suite.
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { expect, test } from 'vitest'
import config from '../../vitest.config.js'
import { repoPath } from '../support/paths.js'

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? files(path) : [path]
  })
}

test('vitest runs only the *.test.ts files, one file at a time, and ends with the summary line', () => {
  const options = config.test ?? {}
  expect(options.include).toStrictEqual(['test/**/*.test.ts'])
  expect(options.fileParallelism).toBe(false)
  expect(options.maxWorkers).toBe(1)
  expect([options.reporters].flat().includes('./test/support/summary-reporter.ts'), 'the summary reporter prints the N passed, N failed line').toBeTruthy()
  // What the glob picks up is exactly the test files; the helpers exist and are left out.
  const sources = files(repoPath('test')).filter((path) => /\.[cm]?[jt]s$/u.test(path)).map((path) => relative(repoPath('test'), path))
  const tests = sources.filter((path) => path.endsWith('.test.ts'))
  const helpers = sources.filter((path) => !path.endsWith('.test.ts'))
  expect(tests.length > 30 && helpers.length > 5, `${tests.length} tests, ${helpers.length} helpers`).toBeTruthy()
  expect(helpers.includes(join('e2e', 'fixtures', 'fake-stage-service.ts'))).toBeTruthy()
  expect(helpers.includes(join('support', 'summary-reporter.ts'))).toBeTruthy()
})

test('npm test and test:unit run the whole vitest suite once, not in watch mode and not a bare folder', () => {
  const script = readFileSync(repoPath('scripts/test.sh'), 'utf8')
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }
  const runs = [
    ...script.split('\n').filter((line) => /^\s*[^#]*npx vitest/u.test(line)),
    pkg.scripts['test:unit'] ?? ''
  ]
  expect(runs.length, runs.join('\n')).toBe(2)
  for (const line of runs) expect(line, line).toMatch(/vitest run(\s|$|')/u)
  for (const line of runs) expect(line, `the suite is the config's include, not a folder: ${line}`).not.toMatch(/vitest run\s+[^-\s|&]/u)
  expect(script).not.toMatch(/node --test/u)
  expect(pkg.scripts['test:watch']).toBe('vitest')
})
