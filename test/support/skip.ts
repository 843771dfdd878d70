// Tests that need something a clone may lack (a service, the models, a data
// set) skip with a message saying what is missing and how to get it. vitest's
// ctx.skip throws, so nothing after it runs; the summary reporter
// (test/support/summary-reporter.ts) prints each message.
import type { TestContext } from 'vitest'

/** Skips the running test when `reason` is a message; `false` lets it run. */
export function skipWhen (t: TestContext, reason: string | false): void {
  if (reason !== false) t.skip(reason)
}
