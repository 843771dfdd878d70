// The TypeScript test suite (npm test runs it through scripts/test.sh; see
// docs/operations.md "Tests"). vitest runs test/**/*.test.ts straight from the
// sources; helper modules under test/ are neither run nor counted.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time, in one forked process after another: the tests share
    // one Kafka, Elasticsearch and Redis, and several load the models.
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    // Worker threads started by the code under test (text models, image pool)
    // are plain Node threads that vitest does not transform: this loader lets
    // them run the TypeScript sources.
    execArgv: ['--import', fileURLToPath(new URL('./test/support/load-ts.mjs', import.meta.url))],
    // Some tests run the models or a whole service for minutes; each sets its
    // own budget where it matters. This is the ceiling for the rest.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    teardownTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts']
  }
})
