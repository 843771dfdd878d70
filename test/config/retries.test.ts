// One meaning of a retry count across the config: 0 is no retry, and
// "retry until shutdown" is said in words ("forever"), never with 0.
import { expect, test } from 'vitest'
import { parseConfig } from '../../src/config/index.js'

function configError (input: unknown): string {
  try {
    parseConfig(input)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected the config to be refused')
}

test('the sink retries until shutdown by default, written "forever" and read as Infinity', () => {
  expect(parseConfig({}).elasticsearch.retries).toBe(Infinity)
  expect(parseConfig({ elasticsearch: { retries: 'forever' } }).elasticsearch.retries).toBe(Infinity)
})

test('elasticsearch.retries 0 means no retry, as wikipedia.retries 0 does', () => {
  const config = parseConfig({ elasticsearch: { retries: 0 }, knowledge: { wikipedia: { retries: 0 } } })
  expect(config.elasticsearch.retries).toBe(0)
  expect(config.knowledge.wikipedia.retries).toBe(0)
  expect(parseConfig({ elasticsearch: { retries: 5 } }).elasticsearch.retries).toBe(5)
})

test('a count that is negative, fractional or another word is refused', () => {
  expect(configError({ elasticsearch: { retries: -1 } })).toMatch(/elasticsearch\.retries/)
  expect(configError({ elasticsearch: { retries: 1.5 } })).toMatch(/elasticsearch\.retries/)
  expect(configError({ elasticsearch: { retries: 'always' } })).toMatch(/elasticsearch\.retries/)
})

test('the old elasticsearch.maxRetries, whose 0 meant "forever", is refused with what to write instead', () => {
  for (const value of [0, 3]) {
    const message = configError({ elasticsearch: { maxRetries: value } })
    expect(message).toMatch(/elasticsearch\.maxRetries is gone/)
    expect(message).toMatch(/elasticsearch\.retries, "forever" \(the default\) or a count, where 0 means no retry/)
  }
})
