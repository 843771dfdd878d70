// One rule for a missing service: locally a clear skip, under CI a failure
// with the same message (the e2e helper and the API harness both keep it).
import { expect, test } from 'vitest'
import { inCi, needService } from './skip.js'
import { missingServiceMessage, skipUnless } from '../e2e/services.js'

const LOCAL = { CI: undefined }
const CI = { CI: 'true' }

test('CI is CI=true or CI=1', () => {
  expect(inCi(CI)).toBe(true)
  expect(inCi({ CI: '1' })).toBe(true)
  expect(inCi(LOCAL)).toBe(false)
  expect(inCi({ CI: 'false' })).toBe(false)
})

test('a configured service is no reason to skip, locally or under CI', () => {
  expect(skipUnless('127.0.0.1:19092', 'KAFKA_BROKERS', LOCAL)).toBe(false)
  expect(skipUnless('127.0.0.1:19092', 'KAFKA_BROKERS', CI)).toBe(false)
})

test('locally a missing service is a skip reason that says how to start it', () => {
  expect(skipUnless('', 'KAFKA_BROKERS', LOCAL)).toBe(missingServiceMessage('KAFKA_BROKERS'))
  expect(missingServiceMessage('KAFKA_BROKERS')).toMatch(/KAFKA_BROKERS not set: start services with scripts\/services\.sh start/)
})

test('under CI a missing service fails with the same message, from the e2e helper and from needService', (t) => {
  expect(() => skipUnless('', 'ELASTICSEARCH_URL', CI)).toThrow(/ELASTICSEARCH_URL not set: .*CI is set, so a test that needs a service fails/)
  expect(() => { needService(t, 'REDIS_URL not set', CI) }).toThrow(/REDIS_URL not set \(CI is set/)
  expect(() => { needService(t, false, CI) }).not.toThrow()
})
