import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ENV_VARS, loadConfig, parseConfig } from '../../src/config/index.js'
import { API_ENV_VARS, apiConfigFromEnv, parseApiConfig } from '../../src/api/index.js'
import { GroundstreamError } from '../../src/errors/index.js'

test('defaults: the embedded default (no brokers, no Elasticsearch), frozen all the way down', () => {
  const config = parseConfig({})
  expect(config.kafka.brokers).toStrictEqual([])
  expect(config.elasticsearch.url).toBe(undefined)
  expect(config.pipeline.maxBatchSize).toBe(32)
  expect(config.textModels.precision).toBe('int8')
  expect(typeof config.knowledge.enabled).toBe('boolean')
  expect(typeof config.images.enabled).toBe('boolean')
  expect(Object.isFrozen(config) && Object.isFrozen(config.pipeline) && Object.isFrozen(config.kafka.brokers)).toBeTruthy()
})

test('every problem is reported in one GS_ERR_CONFIG error, unknown keys included', () => {
  const error = ((): unknown => {
    try {
      parseConfig({ kafka: { brokers: 'x', sesionTimeoutMs: 1 }, pipeline: { maxBatchSize: 0 }, bogus: true })
    } catch (e) { return e }
    return null
  })()
  assert.ok(error instanceof GroundstreamError)
  expect(error.code).toBe('GS_ERR_CONFIG')
  const problems = error.details.problems as string[]
  expect(problems.some((p) => p.startsWith('kafka.brokers')), problems.join('\n')).toBeTruthy()
  expect(problems.some((p) => p.includes('sesionTimeoutMs')), problems.join('\n')).toBeTruthy()
  expect(problems.some((p) => p.startsWith('pipeline.maxBatchSize')), problems.join('\n')).toBeTruthy()
  expect(problems.some((p) => p.includes('bogus')), problems.join('\n')).toBeTruthy()
})

test('cross-field rules: heartbeat vs session timeout, in-flight vs batch size, DLQ vs input topic', () => {
  expect(() => parseConfig({ kafka: { heartbeatIntervalMs: 20_000, sessionTimeoutMs: 30_000 } })).toThrow(/heartbeatIntervalMs/)
  expect(() => parseConfig({ pipeline: { maxBatchSize: 64, maxInFlight: 10 } })).toThrow(/maxInFlight/)
  expect(() => parseConfig({ kafka: { topic: 'a', dlqTopic: 'a' } })).toThrow(/dlqTopic/)
})

test('file, then env vars, then overrides; env values are coerced', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-config-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify({ kafka: { topic: 'from-file', groupId: 'file-group' }, pipeline: { maxBatchSize: 8 } }))
  const config = loadConfig({
    file,
    env: { GS_KAFKA_BROKERS: 'a:1, b:2', GS_KAFKA_TOPIC: 'from-env', GS_BATCH_WAIT_MS: '7', GS_KNOWLEDGE_ENABLED: 'false', GS_CATALOGUE: '/srv/brands.jsonl' },
    overrides: { pipeline: { maxBatchSize: 4 } }
  })
  expect(config.kafka.brokers).toStrictEqual(['a:1', 'b:2'])
  expect(config.kafka.topic).toBe('from-env')
  expect(config.kafka.groupId).toBe('file-group')
  expect(config.pipeline.maxBatchSize).toBe(4)
  expect(config.pipeline.maxWaitMs).toBe(7)
  expect(config.knowledge.enabled).toBe(false)
  expect(config.knowledge.cataloguePath).toBe('/srv/brands.jsonl')
  expect(config.knowledge.shippedCatalogue, 'a user catalogue extends the shipped one').toBe(true)
  expect(() => loadConfig({ env: { GS_BATCH_SIZE: 'lots' } })).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG' }))
  expect(() => loadConfig({ file: join(dir, 'missing.json') })).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG' }))
})

test('serve reads GS_ELASTICSEARCH_* and GS_LOG_LEVEL by the processor\'s own entries and checks', () => {
  for (const name of ['GS_ELASTICSEARCH_URL', 'GS_ELASTICSEARCH_INDEX', 'GS_ELASTICSEARCH_API_KEY', 'GS_ELASTICSEARCH_CA_FILE', 'GS_LOG_LEVEL']) {
    expect(API_ENV_VARS[name], name).toBe(ENV_VARS[name])
  }
  const env = { GS_ELASTICSEARCH_URL: 'not a url', GS_LOG_LEVEL: 'loud' }
  for (const parse of [() => parseApiConfig(apiConfigFromEnv(env)), () => loadConfig({ env })]) {
    assert.throws(parse, (error: Error) => /elasticsearch\.url/.test(error.message) && /log\.level/.test(error.message))
  }
  // The deliberate differences: serve defaults to a local cluster and may read a pattern.
  expect(parseApiConfig({}).elasticsearch.url).toBe('http://127.0.0.1:9200')
  expect(loadConfig({ env: {} }).elasticsearch.url).toBe(undefined)
  expect(parseApiConfig(apiConfigFromEnv({ GS_ELASTICSEARCH_INDEX: 'groundstream-*' })).elasticsearch.index).toBe('groundstream-*')
  expect(() => loadConfig({ env: { GS_ELASTICSEARCH_INDEX: 'groundstream-*' } })).toThrow(/elasticsearch\.index/)
})
