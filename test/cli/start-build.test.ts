// `npm start` builds before it runs; a second `npm start` with nothing
// changed must not compile everything again (13 s on two busy cores, 0.5 s
// incremental). npm run build is scripts/build.mjs: `tsc -b` over
// tsconfig.build.json, which is incremental with its build info under dist/
// (deleting dist/ forgets it), forced when a compiled file is missing.
// And the README's promises about running: the Node range is package.json's
// engines, and the no-services test mode it names is a script that exists.
import { expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { repoPath } from '../support/paths.js'

interface PackageJson { scripts: Record<string, string>, engines: { node: string } }

const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as PackageJson

/** tsconfig files are JSON with comments: drop whole-line // comments, then parse. */
function readTsconfig (file: string): { compilerOptions?: Record<string, unknown> } {
  const text = readFileSync(repoPath(file), 'utf8').split('\n').filter((line) => !/^\s*\/\//u.test(line)).join('\n')
  return JSON.parse(text) as { compilerOptions?: Record<string, unknown> }
}

test('npm start builds incrementally: tsc -b over an incremental tsconfig.build.json whose build info is under dist/', () => {
  expect(pkg.scripts.start ?? '').toMatch(/^npm run build --silent && node dist\/src\/cli\/main\.js run$/u)
  expect(pkg.scripts.build).toBe('node scripts/build.mjs')
  const script = readFileSync(repoPath('scripts/build.mjs'), 'utf8')
  expect(script, 'tsc -b over tsconfig.build.json').toMatch(/'-b', path\.join\(ROOT, 'tsconfig\.build\.json'\)/u)
  expect(script, 'a compiled file missing from dist/ forces a full build').toMatch(/args\.push\('--force'\)/u)
  const options = readTsconfig('tsconfig.build.json').compilerOptions ?? {}
  expect(options.incremental).toBe(true)
  expect(String(options.tsBuildInfoFile), 'deleting dist/ must forget the build info, or tsc -b would call a missing dist/ up to date').toMatch(/^dist\//u)
})

test('the README states package.json\'s Node range and names a no-services test mode that exists', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8')
  expect(readme.includes(`\`${pkg.engines.node}\``), `README names engines ${pkg.engines.node}`).toBeTruthy()
  const tests = readme.slice(readme.indexOf('## Tests'), readme.indexOf('\n## ', readme.indexOf('## Tests') + 1))
  expect(tests).toMatch(/\*\*Without services\*\*: `npm run test:unit`/u)
  expect(pkg.scripts['test:unit'] ?? '').toMatch(/vitest run/u)
  expect(pkg.scripts['test:unit'] ?? '', 'test:unit starts no services').not.toMatch(/services\.sh/u)
})
