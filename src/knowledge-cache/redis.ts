// The Redis client for the shared tier, built from the config's URL. Commands
// fail fast while disconnected (no offline queue) so a Redis outage turns
// into cache misses instead of stalled lookups.
import { Redis } from 'ioredis'
import { GroundstreamError, wrapError } from '../errors/index.js'

export interface KnowledgeRedisOptions {
  /** How long to wait for the first connection. */
  connectTimeoutMs?: number
  /** Connection errors after start (reconnects are automatic); ioredis logs to stderr when nobody listens. */
  onError?: (error: Error) => void
  /**
   * When given, a first connection that fails is reported here and the client
   * is returned still reconnecting (commands fail fast meanwhile, so lookups
   * miss and the cache runs in-process) instead of the builder throwing.
   */
  onUnavailable?: (error: GroundstreamError) => void
}

export async function createKnowledgeRedis (url: string, options: KnowledgeRedisOptions = {}): Promise<Redis> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: connectTimeoutMs,
    // Concurrent GETs of a batch go out as one pipeline.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000)
  })
  client.on('error', (error: Error) => options.onError?.(error))
  let problem: GroundstreamError | null = null
  try {
    await client.connect()
    if (client.status !== 'ready') problem = new GroundstreamError('GS_ERR_CONFIG', `knowledge Redis at ${redactUrl(url)} is ${client.status}`, { retriable: true })
  } catch (error) {
    problem = wrapError('GS_ERR_CONFIG', `cannot connect to knowledge Redis at ${redactUrl(url)}`, error, true)
  }
  if (problem !== null) {
    if (options.onUnavailable === undefined) {
      client.disconnect()
      throw problem
    }
    options.onUnavailable(problem)
  }
  return client
}

/** Drops the password from a redis:// URL before it reaches a log line. */
function redactUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparseable redis url>'
  }
}
