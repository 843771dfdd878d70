// `serve` reads the service's config file (--config or GS_CONFIG) like `run`
// and `eval`: the Elasticsearch connection and log level come from it, the
// variables and flags override it, and a bad file is refused the same way.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { isGroundstreamError } from '../../src/errors/index.js'
import { loadApiConfig } from '../../src/service/index.js'

function configFile (config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gs-api-config-')), 'groundstream.json')
  writeFileSync(file, JSON.stringify(config))
  return file
}

const SERVICE_FILE = {
  elasticsearch: { url: 'http://search.internal:9200', index: 'posts-entities', retries: 3 },
  log: { level: 'warn' }
}

test('serve takes the Elasticsearch connection and log level from the service config file', () => {
  const config = loadApiConfig({ env: {}, file: configFile(SERVICE_FILE) })
  expect(config.elasticsearch.url).toBe('http://search.internal:9200')
  expect(config.elasticsearch.index).toBe('posts-entities')
  expect(config.log.level).toBe('warn')
})

test('GS_CONFIG names the file; variables override it and flags override both', () => {
  const env = { GS_CONFIG: configFile(SERVICE_FILE), GS_ELASTICSEARCH_INDEX: 'from-env' }
  const fromEnv = loadApiConfig({ env })
  expect(fromEnv.elasticsearch.url).toBe('http://search.internal:9200')
  expect(fromEnv.elasticsearch.index).toBe('from-env')
  const fromFlags = loadApiConfig({ env, overrides: { port: 9000, elasticsearch: { index: 'from-flag' } } })
  expect(fromFlags.elasticsearch.index).toBe('from-flag')
  expect(fromFlags.port).toBe(9000)
})

test('without a file serve keeps its own defaults', () => {
  const config = loadApiConfig({ env: {} })
  expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200')
  expect(config.log.level).toBe('info')
})

test('a config file with an unknown setting is refused, as run refuses it', () => {
  assert.throws(() => loadApiConfig({ env: {}, file: configFile({ elasticsearch: { noSuchSetting: 1 } }) }),
    (error) => isGroundstreamError(error, 'GS_ERR_CONFIG') && /noSuchSetting/.test(error.message))
  assert.throws(() => loadApiConfig({ env: {}, file: '/nonexistent/gs-serve.json' }), (error) => isGroundstreamError(error, 'GS_ERR_CONFIG'))
})
