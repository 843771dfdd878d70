// The service's client builders: secrets named by the config fail as config
// errors naming the setting, Kafka's own retry comes from the config, and the
// knowledge cache's Redis is optional and never fatal when unreachable.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { pino } from 'pino'
import { parseConfig } from '../../src/config/index.js'
import { connectKnowledgeRedis, createElasticsearchClient, createKafka, readSecretFile } from '../../src/service/index.js'
import { needService } from '../support/skip.js'

const silent = pino({ level: 'silent' })
const missing = join(tmpdir(), 'gs-no-such-ca.pem')

test('a missing CA file is a config error naming the setting and the path', () => {
  assert.throws(() => readSecretFile(missing, 'kafka.sslCaFile'), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_CONFIG')
    expect(error.message).toMatch(/kafka\.sslCaFile .*gs-no-such-ca\.pem/)
    return true
  })
  expect(() => createElasticsearchClient({ url: 'http://127.0.0.1:9', caFile: missing, requestTimeoutMs: 1000 })).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG', message: expect.stringMatching(/elasticsearch\.caFile/) }))
  const kafka = parseConfig({ kafka: { brokers: ['127.0.0.1:9'], ssl: true, sslCaFile: missing } }).kafka
  expect(() => createKafka(kafka, silent)).toThrow(expect.objectContaining({ code: 'GS_ERR_CONFIG', message: expect.stringMatching(/kafka\.sslCaFile/) }))
})

test('the Kafka client retries as kafka.clientRetry says: no retries fail fast on a closed port', async () => {
  // Port 9 on loopback: nothing listens, every connection is refused.
  const config = parseConfig({ kafka: { brokers: ['127.0.0.1:9'], clientRetry: { retries: 0, initialRetryTimeMs: 50, maxRetryTimeMs: 100 } } })
  const admin = createKafka(config.kafka, silent).admin()
  const started = performance.now()
  await expect(admin.connect()).rejects.toThrow()
  const fast = performance.now() - started
  // Two retries of about 1 s and 1.5 s (kafkajs jitters each by 20 %): at least 1.5 s however busy the machine.
  const patient = parseConfig({ kafka: { brokers: ['127.0.0.1:9'], clientRetry: { retries: 2, initialRetryTimeMs: 1000, maxRetryTimeMs: 1500 } } })
  const slowAdmin = createKafka(patient.kafka, silent).admin()
  const slowStarted = performance.now()
  await expect(slowAdmin.connect()).rejects.toThrow()
  const slow = performance.now() - slowStarted
  expect(slow >= 1500, `two retries of about a second wait at least 1.5 s (took ${slow.toFixed(0)} ms)`).toBeTruthy()
  expect(fast < slow, `no retries is quicker than two (${fast.toFixed(0)} ms vs ${slow.toFixed(0)} ms)`).toBeTruthy()
})

test('the knowledge Redis is absent unless knowledge is on with a URL, and an unreachable one is not fatal', async () => {
  expect(await connectKnowledgeRedis(parseConfig({}).knowledge, silent)).toBe(null)
  expect(await connectKnowledgeRedis(parseConfig({ knowledge: { enabled: false, redisUrl: 'redis://127.0.0.1:9' } }).knowledge, silent)).toBe(null)
  const warnings: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(line) } })
  const down = await connectKnowledgeRedis(parseConfig({ knowledge: { redisUrl: 'redis://127.0.0.1:9' } }).knowledge, logger)
  assert.ok(down !== null)
  expect(down.status).not.toBe('ready')
  down.disconnect()
  expect(warnings.some((line) => line.includes('knowledge cache runs in-process only'))).toBeTruthy()
})

const REDIS_URL = process.env.REDIS_URL
test('a reachable Redis is connected and ready for the cache', async (t) => {
  needService(t, REDIS_URL === undefined ? 'REDIS_URL is not set (scripts/services.sh env)' : false)
  const redis = await connectKnowledgeRedis(parseConfig({ knowledge: { redisUrl: REDIS_URL } }).knowledge, silent)
  assert.ok(redis !== null)
  try {
    expect(redis.status).toBe('ready')
    expect(await redis.ping()).toBe('PONG')
  } finally {
    redis.disconnect()
  }
})
