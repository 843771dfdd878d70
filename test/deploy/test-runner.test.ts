// The test count is honest and tests never run helper modules: vitest picks up
// only test/**/*.test.ts (never fakes, harnesses or the fake-stage service,
// which writes into out/ with its default config), runs the files one at a
// time (they share Kafka, Elasticsearch and Redis), and ends with the plain
// `N passed, N failed, N skipped` line; npm test runs exactly that suite.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'vitest'
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
  assert.deepEqual(options.include, ['test/**/*.test.ts'])
  assert.equal(options.fileParallelism, false)
  assert.equal(options.maxWorkers, 1)
  assert.ok([options.reporters].flat().includes('./test/support/summary-reporter.ts'), 'the summary reporter prints the N passed, N failed line')
  // What the glob picks up is exactly the test files; the helpers exist and are left out.
  const sources = files(repoPath('test')).filter((path) => /\.[cm]?[jt]s$/u.test(path)).map((path) => relative(repoPath('test'), path))
  const tests = sources.filter((path) => path.endsWith('.test.ts'))
  const helpers = sources.filter((path) => !path.endsWith('.test.ts'))
  assert.ok(tests.length > 30 && helpers.length > 5, `${tests.length} tests, ${helpers.length} helpers`)
  assert.ok(helpers.includes(join('e2e', 'fixtures', 'fake-stage-service.ts')))
  assert.ok(helpers.includes(join('support', 'summary-reporter.ts')))
})

test('npm test and test:unit run the whole vitest suite once, not in watch mode and not a bare folder', () => {
  const script = readFileSync(repoPath('scripts/test.sh'), 'utf8')
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }
  const runs = [
    ...script.split('\n').filter((line) => /^\s*[^#]*npx vitest/u.test(line)),
    pkg.scripts['test:unit'] ?? ''
  ]
  assert.equal(runs.length, 2, runs.join('\n'))
  for (const line of runs) assert.match(line, /vitest run(\s|$|')/u, line)
  for (const line of runs) assert.doesNotMatch(line, /vitest run\s+[^-\s|&]/u, `the suite is the config's include, not a folder: ${line}`)
  assert.doesNotMatch(script, /node --test/u)
  assert.equal(pkg.scripts['test:watch'], 'vitest')
})
