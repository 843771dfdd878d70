// Tests that need something a clone may lack (a service, the models, a data
// set) skip with a message saying what is missing and how to get it. vitest's
// ctx.skip throws, so nothing after it runs; the summary reporter
// (test/support/summary-reporter.ts) prints each message.
import type { TestContext } from 'vitest'

/** Skips the running test when `reason` is a message; `false` lets it run. */
export function skipWhen (t: TestContext, reason: string | false): void {
  if (reason !== false) t.skip(reason)
}

/** Whether the tests run under CI (`CI=true` or `CI=1`), where every service is started (scripts/test.sh). */
export function inCi (env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.CI === 'true' || env.CI === '1'
}

/**
 * The one rule for a test that needs a service (Kafka, Elasticsearch, Redis):
 * `missing` is false when the service is configured, else a message saying
 * what is missing and how to start it. Locally the test skips with that
 * message; under CI a missing service is a failure, thrown with it.
 */
export function needService (t: TestContext, missing: string | false, env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (missing === false) return
  if (inCi(env)) throw new Error(`${missing} (CI is set, so a test that needs a service fails when it is missing)`)
  t.skip(missing)
}
