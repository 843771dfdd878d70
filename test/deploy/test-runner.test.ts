// The test count is honest and tests never run helper modules: npm test and
// test:unit hand node --test only the compiled *.test.js files, never the
// whole dist/test/ folder (where node would also run fakes, harnesses and the
// fake-stage service, which writes into out/ with its default config).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { repoPath } from './helpers.js'

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? files(path) : [path]
  })
}

test('the test scripts run only *.test.js files', () => {
  const script = readFileSync(repoPath('scripts/test.sh'), 'utf8')
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }
  const runs = [
    ...script.split('\n').filter((line) => /^\s*[^#]*node --test/u.test(line)),
    pkg.scripts['test:unit'] ?? ''
  ]
  assert.equal(runs.length, 2)
  for (const line of runs) assert.doesNotMatch(line, /dist\/test\/?(\s|'|"|$)/u, `a bare folder runs every module in it: ${line}`)
  assert.match(script, /^test_files=\(dist\/test\/\*\*\/\*\.test\.js\)$/mu)
  assert.match(runs[0] ?? '', /"\$\{test_files\[@\]\}"/u)
  assert.match(pkg.scripts['test:unit'] ?? '', /globstar.*dist\/test\/\*\*\/\*\.test\.js/u)
  // What the glob picks up is exactly the test files; the helpers exist and are left out.
  const sources = files(repoPath('test')).filter((path) => path.endsWith('.ts')).map((path) => relative(repoPath('test'), path))
  const tests = sources.filter((path) => path.endsWith('.test.ts'))
  const helpers = sources.filter((path) => !path.endsWith('.test.ts'))
  assert.ok(tests.length > 30 && helpers.length > 5, `${tests.length} tests, ${helpers.length} helpers`)
  assert.ok(helpers.includes(join('e2e', 'fixtures', 'fake-stage-service.ts')))
})
