// The argument parsing every command shares (src/cli/args.ts): did-you-mean
// for commands and flags, parseArgs failures as one-line usage errors, and
// integer flags whose message says what was expected and what was given.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { didYouMean, intFlag, parseFlags, unknownWord } from '../../src/cli/args.js'
import { isGroundstreamError } from '../../src/errors/index.js'

const FLAGS = ['input', 'output', 'dead-letters', 'batch-size', 'batch-wait-ms', 'no-progress', 'quiet']

/** The usage error `run` throws: its message, after checking it is one line and GS_ERR_USAGE. */
function usageMessage (run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(isGroundstreamError(error, 'GS_ERR_USAGE'), String(error))
    expect(error.message, 'one line').not.toMatch(/\n/u)
    return error.message
  }
  expect.fail('no usage error')
}

test('did-you-mean suggests a near or uniquely started word, never a far or ambiguous one', () => {
  expect(didYouMean('ouput', FLAGS)).toBe('output')
  expect(didYouMean('inptu', FLAGS)).toBe('input')
  expect(didYouMean('batchsize', FLAGS)).toBe('batch-size')
  expect(didYouMean('dead-leters', FLAGS)).toBe('dead-letters')
  expect(didYouMean('no-prog', FLAGS)).toBe('no-progress')
  expect(didYouMean('rn', ['run', 'serve', 'eval', 'knowledge-dump', 'help'])).toBe('run')
  expect(didYouMean('batch', FLAGS), 'two flags start with it').toBe(null)
  expect(didYouMean('zzzzzz', FLAGS)).toBe(null)
  expect(didYouMean('output', FLAGS), 'not a typo').toBe(null)
  expect(unknownWord('command', 'rn', 'run')).toBe("unknown command 'rn'; did you mean run?")
  expect(unknownWord('option', '--zz', null)).toBe("unknown option '--zz'")
})

test('parseFlags: an unknown flag names the near one, with or without =value', () => {
  const options = { 'batch-size': { type: 'string' }, quiet: { type: 'boolean' } } as const
  expect(usageMessage(() => parseFlags(['--batchsize', '8'], options))).toBe("unknown option '--batchsize'; did you mean --batch-size?")
  expect(usageMessage(() => parseFlags(['--batchsize=8'], options))).toBe("unknown option '--batchsize'; did you mean --batch-size?")
  expect(usageMessage(() => parseFlags(['-x'], options))).toBe("unknown option '-x'")
  expect(usageMessage(() => parseFlags(['extra'], options))).toMatch(/Unexpected argument 'extra'/)
  expect(usageMessage(() => parseFlags(['--batch-size'], options))).toMatch(/argument missing/)
})

test('parseFlags: a negative number is the value of a string flag, not a flag of its own', () => {
  const options = { limit: { type: 'string' }, quiet: { type: 'boolean' } } as const
  expect({ ...parseFlags(['--limit', '-3', '--quiet'], options) }).toStrictEqual({ limit: '-3', quiet: true })
  expect({ ...parseFlags(['--limit', '-0.5'], options) }).toStrictEqual({ limit: '-0.5' })
  // A word after the flag is still a missing value.
  expect(usageMessage(() => parseFlags(['--limit', '--quiet'], options))).toMatch(/argument is ambiguous/)
})

test('intFlag: a positive integer, a range, and what was given', () => {
  expect(intFlag('limit', undefined, 1, 10)).toBe(undefined)
  expect(intFlag('limit', '7', 1, 10)).toBe(7)
  expect(intFlag('port', '0', 0, 65535)).toBe(0)
  expect(usageMessage(() => intFlag('batch-size', 'abc', 1, 4096))).toBe('--batch-size must be a positive integer, got abc')
  expect(usageMessage(() => intFlag('limit', '-3', 1, Number.MAX_SAFE_INTEGER))).toBe('--limit must be a positive integer, got -3')
  expect(usageMessage(() => intFlag('limit', '2.5', 1, Number.MAX_SAFE_INTEGER))).toBe('--limit must be a positive integer, got 2.5')
  expect(usageMessage(() => intFlag('limit', '', 1, 10))).toBe("--limit must be a positive integer, got ''")
  expect(usageMessage(() => intFlag('batch-size', '5000', 1, 4096))).toBe('--batch-size must be at most 4096, got 5000')
  expect(usageMessage(() => intFlag('port', '-1', 0, 65535))).toBe('--port must be an integer, 0 or more, got -1')
})
