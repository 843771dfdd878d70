// The embedded run's three files each have a variable: GS_INPUT, GS_OUTPUT and
// GS_DEAD_LETTERS (as --input, --output and --dead-letters are flags).
import { expect, test } from 'vitest'
import { ENV_VARS, loadConfig } from '../../src/config/index.js'

test('GS_DEAD_LETTERS sets files.deadLetters, beside GS_INPUT and GS_OUTPUT', () => {
  const config = loadConfig({ env: { GS_INPUT: 'in.jsonl', GS_OUTPUT: 'out.jsonl', GS_DEAD_LETTERS: 'rejected.jsonl' } })
  expect({ ...config.files }).toEqual({ input: 'in.jsonl', output: 'out.jsonl', deadLetters: 'rejected.jsonl' })
  expect(ENV_VARS.GS_DEAD_LETTERS?.[0]).toEqual(['files', 'deadLetters'])
})

test('without it the default stays, and a flag overrides the variable', () => {
  expect(loadConfig({ env: {} }).files.deadLetters).toBe('out/dead-letters.jsonl')
  const flagged = loadConfig({ env: { GS_DEAD_LETTERS: 'rejected.jsonl' }, overrides: { files: { deadLetters: 'flag.jsonl' } } })
  expect(flagged.files.deadLetters).toBe('flag.jsonl')
})
