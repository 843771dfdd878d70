import { test } from 'vitest'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ENV_VARS, loadConfig, parseConfig } from '../../src/config/index.js'
import { API_ENV_VARS, apiConfigFromEnv, parseApiConfig } from '../../src/api/index.js'
import { GroundstreamError } from '../../src/errors/index.js'

test('defaults: the embedded default (no brokers, no Elasticsearch), frozen all the way down', () => {
  const config = parseConfig({})
  assert.deepEqual(config.kafka.brokers, [])
  assert.equal(config.elasticsearch.url, undefined)
  assert.equal(config.pipeline.maxBatchSize, 32)
  assert.equal(config.textModels.precision, 'int8')
  assert.equal(typeof config.knowledge.enabled, 'boolean')
  assert.equal(typeof config.images.enabled, 'boolean')
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.pipeline) && Object.isFrozen(config.kafka.brokers))
})

test('every problem is reported in one GS_ERR_CONFIG error, unknown keys included', () => {
  const error = ((): unknown => {
    try {
      parseConfig({ kafka: { brokers: 'x', sesionTimeoutMs: 1 }, pipeline: { maxBatchSize: 0 }, bogus: true })
    } catch (e) { return e }
    return null
  })()
  assert.ok(error instanceof GroundstreamError)
  assert.equal(error.code, 'GS_ERR_CONFIG')
  const problems = error.details.problems as string[]
  assert.ok(problems.some((p) => p.startsWith('kafka.brokers')), problems.join('\n'))
  assert.ok(problems.some((p) => p.includes('sesionTimeoutMs')), problems.join('\n'))
  assert.ok(problems.some((p) => p.startsWith('pipeline.maxBatchSize')), problems.join('\n'))
  assert.ok(problems.some((p) => p.includes('bogus')), problems.join('\n'))
})

test('cross-field rules: heartbeat vs session timeout, in-flight vs batch size, DLQ vs input topic', () => {
  assert.throws(() => parseConfig({ kafka: { heartbeatIntervalMs: 20_000, sessionTimeoutMs: 30_000 } }), /heartbeatIntervalMs/)
  assert.throws(() => parseConfig({ pipeline: { maxBatchSize: 64, maxInFlight: 10 } }), /maxInFlight/)
  assert.throws(() => parseConfig({ kafka: { topic: 'a', dlqTopic: 'a' } }), /dlqTopic/)
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
  assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2'])
  assert.equal(config.kafka.topic, 'from-env')
  assert.equal(config.kafka.groupId, 'file-group')
  assert.equal(config.pipeline.maxBatchSize, 4)
  assert.equal(config.pipeline.maxWaitMs, 7)
  assert.equal(config.knowledge.enabled, false)
  assert.equal(config.knowledge.cataloguePath, '/srv/brands.jsonl')
  assert.equal(config.knowledge.shippedCatalogue, true, 'a user catalogue extends the shipped one')
  assert.throws(() => loadConfig({ env: { GS_BATCH_SIZE: 'lots' } }), { code: 'GS_ERR_CONFIG' })
  assert.throws(() => loadConfig({ file: join(dir, 'missing.json') }), { code: 'GS_ERR_CONFIG' })
})

test('serve reads GS_ELASTICSEARCH_* and GS_LOG_LEVEL by the processor\'s own entries and checks', () => {
  for (const name of ['GS_ELASTICSEARCH_URL', 'GS_ELASTICSEARCH_INDEX', 'GS_ELASTICSEARCH_API_KEY', 'GS_ELASTICSEARCH_CA_FILE', 'GS_LOG_LEVEL']) {
    assert.equal(API_ENV_VARS[name], ENV_VARS[name], name)
  }
  const env = { GS_ELASTICSEARCH_URL: 'not a url', GS_LOG_LEVEL: 'loud' }
  for (const parse of [() => parseApiConfig(apiConfigFromEnv(env)), () => loadConfig({ env })]) {
    assert.throws(parse, (error: Error) => /elasticsearch\.url/.test(error.message) && /log\.level/.test(error.message))
  }
  // The deliberate differences: serve defaults to a local cluster and may read a pattern.
  assert.equal(parseApiConfig({}).elasticsearch.url, 'http://127.0.0.1:9200')
  assert.equal(loadConfig({ env: {} }).elasticsearch.url, undefined)
  assert.equal(parseApiConfig(apiConfigFromEnv({ GS_ELASTICSEARCH_INDEX: 'groundstream-*' })).elasticsearch.index, 'groundstream-*')
  assert.throws(() => loadConfig({ env: { GS_ELASTICSEARCH_INDEX: 'groundstream-*' } }), /elasticsearch\.index/)
})
