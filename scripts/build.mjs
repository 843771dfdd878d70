// `npm run build` (and so `npm start`, `npm test`): `tsc -b tsconfig.build.json`,
// incremental (the build info is dist/.tsbuildinfo), so a build with nothing
// changed compiles nothing. tsc -b trusts its build info and does not notice an
// output deleted by hand (a dist/src/cli/summary.js removed alone stays
// missing), so when a source under src/ or bench/ has no .js in dist/ this
// builds with --force. Extra arguments go to tsc (`npm run build -- --verbose`).
//
//   node scripts/build.mjs [tsc -b options]
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** The folders tsconfig.build.json includes. */
const SOURCES = ['src', 'bench']

/** Every .ts under `dir` (relative to ROOT), declarations left out. */
function sources (dir) {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return sources(file)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : []
  })
}

/** Sources whose compiled .js is not in dist/. */
function missingOutputs () {
  return SOURCES.flatMap(sources).filter((file) => !existsSync(path.join(ROOT, 'dist', file.replace(/\.ts$/u, '.js'))))
}

const args = process.argv.slice(2)
const missing = missingOutputs()
if (missing.length > 0 && existsSync(path.join(ROOT, 'dist', '.tsbuildinfo')) && !args.includes('--force') && !args.includes('-f')) {
  process.stderr.write(`build: ${missing.length} compiled file${missing.length === 1 ? '' : 's'} missing from dist/ (e.g. ${missing[0]}): rebuilding everything\n`)
  args.push('--force')
}
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc')
const result = spawnSync(process.execPath, [tsc, '-b', path.join(ROOT, 'tsconfig.build.json'), ...args], { stdio: 'inherit' })
process.exitCode = result.status ?? 1
