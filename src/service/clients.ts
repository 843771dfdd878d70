// The service's outside clients, built from the parsed config in one place so
// `run`, `serve`, `eval` and the benchmarks connect the same way: Kafka (TLS,
// SASL, retry, logs through pino), Elasticsearch and the knowledge cache's
// Redis. Each builder returns a client the caller owns and closes.
import { readFileSync } from 'node:fs'
import { Client as ElasticsearchClient } from '@elastic/elasticsearch'
import { Kafka, logLevel as kafkaLogLevel, type KafkaConfig as KafkaClientConfig, type SASLOptions, type logCreator } from 'kafkajs'
import type { Logger } from 'pino'
import type { Redis } from 'ioredis'
import { createKnowledgeRedis } from '../knowledge-cache/index.js'
import type { AppConfig } from '../config/index.js'
import { GroundstreamError, errorMessage } from '../errors/index.js'

function kafkaLogger (logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log
    const child = logger.child({ module: 'kafkajs' })
    if (level === kafkaLogLevel.ERROR) child.error(extra, message)
    else if (level === kafkaLogLevel.WARN) child.warn(extra, message)
    else if (level === kafkaLogLevel.INFO) child.debug(extra, message)
  }
}

/** A secret file named by the config (a CA), or a GS_ERR_CONFIG naming the setting. */
export function readSecretFile (path: string, setting: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_CONFIG', `cannot read ${setting} ${path}: ${errorMessage(error)}`, { cause: error })
  }
}

/** kafkajs TLS/SASL options from the config (deploy/kubernetes sets them from the Secret). */
function kafkaSecurity (kafka: AppConfig['kafka']): Pick<KafkaClientConfig, 'ssl' | 'sasl'> {
  const ssl = kafka.ssl ? (kafka.sslCaFile === undefined ? true : { ca: [readSecretFile(kafka.sslCaFile, 'kafka.sslCaFile')] }) : undefined
  // The schema's mechanisms are exactly kafkajs's password-based ones.
  return { ...(ssl === undefined ? {} : { ssl }), ...(kafka.sasl === undefined ? {} : { sasl: { ...kafka.sasl } as SASLOptions }) }
}

/** The kafkajs client; its connection retry comes from kafka.clientRetry. */
export function createKafka (kafka: AppConfig['kafka'], logger: Logger): Kafka {
  return new Kafka({
    clientId: kafka.clientId,
    brokers: [...kafka.brokers],
    ...kafkaSecurity(kafka),
    logCreator: kafkaLogger(logger),
    retry: { retries: kafka.clientRetry.retries, initialRetryTime: kafka.clientRetry.initialRetryTimeMs, maxRetryTime: kafka.clientRetry.maxRetryTimeMs }
  })
}

export interface ElasticsearchClientOptions {
  url: string
  apiKey?: string | undefined
  caFile?: string | undefined
  requestTimeoutMs: number
}

/** The Elasticsearch client; retries are ours (the sink's backoff), never the client's. */
export function createElasticsearchClient (options: ElasticsearchClientOptions): ElasticsearchClient {
  return new ElasticsearchClient({
    node: options.url,
    ...(options.apiKey === undefined ? {} : { auth: { apiKey: options.apiKey } }),
    ...(options.caFile === undefined ? {} : { tls: { ca: readSecretFile(options.caFile, 'elasticsearch.caFile') } }),
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs
  })
}

/**
 * The knowledge cache's shared tier, when configured. An unreachable Redis is
 * logged and the cache runs in-process only; the caller disconnects it.
 */
export async function connectKnowledgeRedis (knowledge: AppConfig['knowledge'], logger: Logger): Promise<Redis | null> {
  if (!knowledge.enabled || knowledge.redisUrl === undefined) return null
  return await createKnowledgeRedis(knowledge.redisUrl, {
    onError: (error) => { logger.warn({ err: error }, 'redis error') },
    onUnavailable: (error) => { logger.warn({ err: error }, 'redis unavailable; knowledge cache runs in-process only') }
  })
}
