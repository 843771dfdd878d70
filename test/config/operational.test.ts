// Operational constants that used to hide in code are settings with the old
// values as defaults, and settings that depend on each other are checked
// together when the config is parsed.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { parseConfig } from '../../src/config/index.js'
import { parseApiConfig } from '../../src/api/index.js'

test('Kafka client retry, commit interval, shutdown split and the API metric prefix have their former values as defaults', () => {
  const config = parseConfig({})
  assert.deepEqual({ ...config.kafka.clientRetry }, { retries: 8, initialRetryTimeMs: 300, maxRetryTimeMs: 10_000 })
  assert.equal(config.kafka.commitIntervalMs, 1000)
  assert.equal(config.shutdown.consumerDrainShare, 0.4)
  assert.equal(config.shutdown.pipelineDrainShare, 0.3)
  assert.equal(parseApiConfig({}).metrics.prefix, 'groundstream_api_')
})

const problems = (input: unknown): string => {
  try {
    parseConfig(input)
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'GS_ERR_CONFIG')
    return (error as Error).message
  }
  assert.fail('the config was accepted')
}

test('an image fetch timeout that could never fire before the post\'s image budget is rejected', () => {
  assert.ok(parseConfig({}).images.fetch.requestTimeoutMs < parseConfig({}).images.perPostBudgetMs, 'the defaults satisfy the rule')
  assert.match(problems({ images: { perPostBudgetMs: 3000, fetch: { requestTimeoutMs: 3000 } } }), /images\.fetch\.requestTimeoutMs.*perPostBudgetMs/s)
  assert.match(problems({ images: { fetch: { requestTimeoutMs: 1000, connectTimeoutMs: 1500 } } }), /connectTimeoutMs/)
  // With images off the image settings do not constrain each other.
  assert.equal(parseConfig({ images: { enabled: false, perPostBudgetMs: 1000, fetch: { requestTimeoutMs: 2000 } } }).images.enabled, false)
})

test('images.batchesInFlight defaults to 1 (one batch at a time), takes 2, and must be an integer from 1 to 16', () => {
  assert.equal(parseConfig({}).images.batchesInFlight, 1)
  assert.equal(parseConfig({ images: { batchesInFlight: 2 } }).images.batchesInFlight, 2)
  for (const bad of [0, 1.5, 17]) assert.match(problems({ images: { batchesInFlight: bad } }), /images\.batchesInFlight/)
})

test('the shutdown shares must leave time to close, and Kafka retry delays must be ordered; every problem is reported at once', () => {
  const message = problems({ shutdown: { consumerDrainShare: 0.6, pipelineDrainShare: 0.4 }, kafka: { clientRetry: { initialRetryTimeMs: 5000, maxRetryTimeMs: 1000 } } })
  assert.match(message, /pipelineDrainShare/)
  assert.match(message, /initialRetryTimeMs/)
  assert.throws(() => parseConfig({ kafka: { clientRetry: { retriez: 1 } } }), /retriez/)
})
