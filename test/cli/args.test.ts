// The argument parsing every command shares (src/cli/args.ts): did-you-mean
// for commands and flags, parseArgs failures as one-line usage errors, and
// integer flags whose message says what was expected and what was given.
import { test } from 'vitest'
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
    assert.doesNotMatch(error.message, /\n/u, 'one line')
    return error.message
  }
  assert.fail('no usage error')
}

test('did-you-mean suggests a near or uniquely started word, never a far or ambiguous one', () => {
  assert.equal(didYouMean('ouput', FLAGS), 'output')
  assert.equal(didYouMean('inptu', FLAGS), 'input')
  assert.equal(didYouMean('batchsize', FLAGS), 'batch-size')
  assert.equal(didYouMean('dead-leters', FLAGS), 'dead-letters')
  assert.equal(didYouMean('no-prog', FLAGS), 'no-progress')
  assert.equal(didYouMean('rn', ['run', 'serve', 'eval', 'knowledge-dump', 'help']), 'run')
  assert.equal(didYouMean('batch', FLAGS), null, 'two flags start with it')
  assert.equal(didYouMean('zzzzzz', FLAGS), null)
  assert.equal(didYouMean('output', FLAGS), null, 'not a typo')
  assert.equal(unknownWord('command', 'rn', 'run'), "unknown command 'rn'; did you mean run?")
  assert.equal(unknownWord('option', '--zz', null), "unknown option '--zz'")
})

test('parseFlags: an unknown flag names the near one, with or without =value', () => {
  const options = { 'batch-size': { type: 'string' }, quiet: { type: 'boolean' } } as const
  assert.equal(usageMessage(() => parseFlags(['--batchsize', '8'], options)), "unknown option '--batchsize'; did you mean --batch-size?")
  assert.equal(usageMessage(() => parseFlags(['--batchsize=8'], options)), "unknown option '--batchsize'; did you mean --batch-size?")
  assert.equal(usageMessage(() => parseFlags(['-x'], options)), "unknown option '-x'")
  assert.match(usageMessage(() => parseFlags(['extra'], options)), /Unexpected argument 'extra'/)
  assert.match(usageMessage(() => parseFlags(['--batch-size'], options)), /argument missing/)
})

test('parseFlags: a negative number is the value of a string flag, not a flag of its own', () => {
  const options = { limit: { type: 'string' }, quiet: { type: 'boolean' } } as const
  assert.deepEqual({ ...parseFlags(['--limit', '-3', '--quiet'], options) }, { limit: '-3', quiet: true })
  assert.deepEqual({ ...parseFlags(['--limit', '-0.5'], options) }, { limit: '-0.5' })
  // A word after the flag is still a missing value.
  assert.match(usageMessage(() => parseFlags(['--limit', '--quiet'], options)), /argument is ambiguous/)
})

test('intFlag: a positive integer, a range, and what was given', () => {
  assert.equal(intFlag('limit', undefined, 1, 10), undefined)
  assert.equal(intFlag('limit', '7', 1, 10), 7)
  assert.equal(intFlag('port', '0', 0, 65535), 0)
  assert.equal(usageMessage(() => intFlag('batch-size', 'abc', 1, 4096)), '--batch-size must be a positive integer, got abc')
  assert.equal(usageMessage(() => intFlag('limit', '-3', 1, Number.MAX_SAFE_INTEGER)), '--limit must be a positive integer, got -3')
  assert.equal(usageMessage(() => intFlag('limit', '2.5', 1, Number.MAX_SAFE_INTEGER)), '--limit must be a positive integer, got 2.5')
  assert.equal(usageMessage(() => intFlag('limit', '', 1, 10)), "--limit must be a positive integer, got ''")
  assert.equal(usageMessage(() => intFlag('batch-size', '5000', 1, 4096)), '--batch-size must be at most 4096, got 5000')
  assert.equal(usageMessage(() => intFlag('port', '-1', 0, 65535)), '--port must be an integer, 0 or more, got -1')
})
