// Ends every vitest run with a plain count line, `N passed, N failed, N
// skipped`, the same in a terminal, in npm test and in CI logs, after a line
// per skipped test saying why it skipped (tests skip when a clone lacks a
// service, the models or a data set: test/support/skip.ts) and a line per
// failure. A file or suite that failed outside any test (an import error, a
// failing beforeAll) counts as one failure, and so does each unhandled error,
// so the count never says 0 failed while vitest exits non-zero.
// With GS_TEST_SUMMARY_FILE set, the counts are also written there as JSON
// (scripts/test.sh adds them to the training tests' counts).
import { writeFileSync } from 'node:fs'
import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node'

export interface Summary {
  passed: number
  failed: number
  skipped: number
}

function firstLine (errors: readonly SerializedError[]): string {
  return (errors[0]?.message ?? 'unknown error').split('\n')[0] ?? ''
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd (modules: readonly TestModule[], unhandled: readonly SerializedError[]): void {
    const summary: Summary = { passed: 0, failed: 0, skipped: 0 }
    const skips: string[] = []
    const failures: string[] = []
    for (const module of modules) {
      const suites: Array<TestModule | TestSuite> = [module, ...module.children.allSuites()]
      for (const suite of suites) {
        const errors = suite.errors()
        if (errors.length === 0) continue
        summary.failed++
        failures.push(`${module.relativeModuleId}${suite.type === 'suite' ? ` > ${suite.fullName}` : ''}: ${firstLine(errors)}`)
      }
      for (const test of module.children.allTests()) {
        const result = test.result()
        const name = `${module.relativeModuleId} > ${test.fullName}`
        if (result.state === 'passed') summary.passed++
        else if (result.state === 'failed') {
          summary.failed++
          failures.push(`${name}: ${firstLine(result.errors)}`)
        } else if (result.state === 'skipped') {
          summary.skipped++
          skips.push(`${name}${result.note === undefined ? '' : `: ${result.note}`}`)
        }
      }
    }
    for (const error of unhandled) {
      summary.failed++
      failures.push(`unhandled error: ${firstLine([error])}`)
    }
    const lines = ['', ...skips.map((line) => `skipped: ${line}`), ...failures.map((line) => `failed: ${line}`)]
    lines.push(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`)
    process.stdout.write(`${lines.join('\n')}\n`)
    const file = process.env.GS_TEST_SUMMARY_FILE
    if (file !== undefined && file !== '') writeFileSync(file, `${JSON.stringify(summary)}\n`)
  }
}
