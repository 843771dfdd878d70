// Operational constants that used to hide in code are settings with the old
// values as defaults, and settings that depend on each other are checked
// together when the config is parsed.
import { expect, test } from 'vitest'
import { parseConfig } from '../../src/config/index.js'
import { parseApiConfig } from '../../src/api/index.js'

test('Kafka client retry, commit interval, shutdown split and the API metric prefix have their former values as defaults', () => {
  const config = parseConfig({})
  expect({ ...config.kafka.clientRetry }).toStrictEqual({ retries: 8, initialRetryTimeMs: 300, maxRetryTimeMs: 10_000 })
  expect(config.kafka.commitIntervalMs).toBe(1000)
  expect(config.shutdown.consumerDrainShare).toBe(0.4)
  expect(config.shutdown.pipelineDrainShare).toBe(0.3)
  expect(parseApiConfig({}).metrics.prefix).toBe('groundstream_api_')
})

const problems = (input: unknown): string => {
  try {
    parseConfig(input)
  } catch (error) {
    expect((error as { code?: string }).code).toBe('GS_ERR_CONFIG')
    return (error as Error).message
  }
  expect.fail('the config was accepted')
}

test('an image fetch timeout that could never fire before the post\'s image budget is rejected', () => {
  expect(parseConfig({}).images.fetch.requestTimeoutMs < parseConfig({}).images.perPostBudgetMs, 'the defaults satisfy the rule').toBeTruthy()
  expect(problems({ images: { perPostBudgetMs: 3000, fetch: { requestTimeoutMs: 3000 } } })).toMatch(/images\.fetch\.requestTimeoutMs.*perPostBudgetMs/s)
  expect(problems({ images: { fetch: { requestTimeoutMs: 1000, connectTimeoutMs: 1500 } } })).toMatch(/connectTimeoutMs/)
  // With images off the image settings do not constrain each other.
  expect(parseConfig({ images: { enabled: false, perPostBudgetMs: 1000, fetch: { requestTimeoutMs: 2000 } } }).images.enabled).toBe(false)
})

test('images.batchesInFlight defaults to 1 (one batch at a time), takes 2, and must be an integer from 1 to 16', () => {
  expect(parseConfig({}).images.batchesInFlight).toBe(1)
  expect(parseConfig({ images: { batchesInFlight: 2 } }).images.batchesInFlight).toBe(2)
  for (const bad of [0, 1.5, 17]) expect(problems({ images: { batchesInFlight: bad } })).toMatch(/images\.batchesInFlight/)
})

test('the shutdown shares must leave time to close, and Kafka retry delays must be ordered; every problem is reported at once', () => {
  const message = problems({ shutdown: { consumerDrainShare: 0.6, pipelineDrainShare: 0.4 }, kafka: { clientRetry: { initialRetryTimeMs: 5000, maxRetryTimeMs: 1000 } } })
  expect(message).toMatch(/pipelineDrainShare/)
  expect(message).toMatch(/initialRetryTimeMs/)
  expect(() => parseConfig({ kafka: { clientRetry: { retriez: 1 } } })).toThrow(/retriez/)
})
