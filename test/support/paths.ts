// The repository root, found by walking up to package.json, so a test or
// helper finds fixtures, models and scripts the same way whether vitest runs
// it from test/ or a benchmark runs it compiled from dist/test/.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('repository root (package.json) not found')
    dir = parent
  }
  return dir
}

export const ROOT = findRoot()

export function repoPath (...parts: string[]): string {
  return resolve(ROOT, ...parts)
}

/** `node --import` this to run TypeScript sources directly, worker threads included (vitest.config.ts does). */
export const TS_LOADER = repoPath('test/support/load-ts.mjs')

function newestMtime (dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }, 0)
}

/**
 * dist/src/cli/main.js: the tests of the `groundstream` command run the built
 * CLI as a user does, so they need `npm run build` first (npm test builds).
 * Missing is an error saying so; dist/src/ older than src/ is a warning.
 */
export function builtCli (): string {
  const main = repoPath('dist/src/cli/main.js')
  if (!existsSync(main)) throw new Error(`${main} not found: this test runs the built CLI; run \`npm run build\` first (npm test does)`)
  // The newest output, not main.js: an incremental build (npm run build is tsc -b) writes only what changed.
  if (newestMtime(repoPath('src')) > newestMtime(repoPath('dist', 'src'))) {
    console.warn(`warning: src/ changed after ${main} was built; run \`npm run build\` to test the current sources`)
  }
  return main
}
