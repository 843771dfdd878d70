// The API answers only with its own error codes (src/api/errors.ts): a
// failure from below it with another code, or none, is GS_ERR_INTERNAL with
// no internals in the body; and the OpenAPI document lists exactly those codes.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { readFileSync } from 'node:fs'
import { Registry } from 'prom-client'
import { parse as parseYaml } from 'yaml'
import { API_ERROR_CODES, createApiServer, parseApiConfig, type ApiServer } from '../../src/api/index.js'
import { apiErrorFor } from '../../src/api/errors.js'
import type { SearchBackend } from '../../src/api/backend.js'
import { GroundstreamError } from '../../src/errors/index.js'
import { ROOT, repoPath } from '../deploy/helpers.js'

test('an API code keeps its code, message, problems and status', () => {
  const answer = apiErrorFor(new GroundstreamError('GS_ERR_API_INVALID', 'invalid request: size', { details: { problems: ['size'] } }))
  expect(answer).toEqual({ status: 400, body: { error: { code: 'GS_ERR_API_INVALID', message: 'invalid request: size', problems: ['size'] } }, unexpected: false })
  expect(apiErrorFor(new GroundstreamError('GS_ERR_OVERLOADED', 'busy')).status).toBe(503)
  expect(apiErrorFor(new GroundstreamError('GS_ERR_TIMEOUT', 'slow')).status).toBe(504)
  expect(apiErrorFor(new GroundstreamError('GS_ERR_SEARCH', 'down')).status).toBe(502)
})

test('a project error with a code outside the API, or a plain error, is GS_ERR_INTERNAL without its message', () => {
  for (const error of [new GroundstreamError('GS_ERR_CONFIG', 'secret path /etc/x'), new Error('secret stack'), 'a string']) {
    expect(apiErrorFor(error)).toEqual({ status: 500, body: { error: { code: 'GS_ERR_INTERNAL', message: 'internal error' } }, unexpected: true })
  }
})

test('a 4xx from the HTTP framework is GS_ERR_API_INVALID with its own status', () => {
  const refused = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 })
  expect(apiErrorFor(refused)).toEqual({ status: 415, body: { error: { code: 'GS_ERR_API_INVALID', message: 'Unsupported Media Type' } }, unexpected: false })
})

test('the OpenAPI Error schema lists exactly the API error codes, and every search route documents a 500', () => {
  const doc = parseYaml(readFileSync(repoPath('openapi/groundstream-api.yaml'), 'utf8')) as {
    paths: Record<string, { get: { responses: Record<string, unknown> } }>
    components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } }
  }
  expect([...doc.components.schemas.Error.properties.error.properties.code.enum].sort()).toEqual([...API_ERROR_CODES].sort())
  for (const [path, item] of Object.entries(doc.paths).filter(([path]) => path.startsWith('/api/v1/'))) {
    expect(Object.keys(item.get.responses), path).toContain('500')
  }
})

/** A backend whose every search throws `failure`. */
function failingBackend (failure: () => unknown): SearchBackend {
  const fail = async (): Promise<never> => { throw failure() }
  return {
    kind: 'embedded',
    ready: async () => ({ ok: true }),
    mentions: fail,
    timeline: fail,
    trending: fail,
    cooccurring: fail,
    recentPosts: fail,
    extent: fail,
    close: async () => {}
  }
}

let failure: () => unknown = () => new Error('unset')
let server: ApiServer | null = null

beforeAll(async () => {
  const config = parseApiConfig({ host: '127.0.0.1', port: 0 })
  server = await createApiServer(config, { search: failingBackend(() => failure()), registry: new Registry(), root: ROOT })
})

afterAll(async () => {
  await server?.close()
})

async function errorOf (path: string): Promise<{ status: number, body: unknown }> {
  const response = await fetch(`${server?.url ?? ''}${path}`)
  return { status: response.status, body: await response.json() }
}

test('the server answers a failure from below the API as GS_ERR_INTERNAL, and unknown routes and files as GS_ERR_NOT_FOUND', async () => {
  failure = () => new GroundstreamError('GS_ERR_SHUTDOWN', 'worker pool closed at /srv/models')
  expect(await errorOf('/api/v1/extent')).toEqual({ status: 500, body: { error: { code: 'GS_ERR_INTERNAL', message: 'internal error' } } })
  failure = () => new GroundstreamError('GS_ERR_OVERLOADED', 'too many searches')
  expect(await errorOf('/api/v1/extent')).toEqual({ status: 503, body: { error: { code: 'GS_ERR_OVERLOADED', message: 'too many searches' } } })
  const route = await errorOf('/nothing/here')
  expect(route.status).toBe(404)
  expect(route.body).toMatchObject({ error: { code: 'GS_ERR_NOT_FOUND' } })
  const file = await errorOf('/static/missing.js')
  expect(file).toEqual({ status: 404, body: { error: { code: 'GS_ERR_NOT_FOUND', message: 'no file missing.js' } } })
})
