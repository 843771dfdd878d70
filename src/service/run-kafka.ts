// Kafka mode: consume until a signal, a pipeline failure or a consumer crash,
// then stop fetching (each partition finishes and commits its in-flight
// posts), drain the pipeline, and leave the rest to be read again. The
// shutdown budget is split by shutdown.consumerDrainShare and
// shutdown.pipelineDrainShare; the remainder is for closing.
import type { Kafka } from 'kafkajs'
import type { AppConfig } from '../config/index.js'
import { KafkaSource } from '../consumers/index.js'
import type { ServiceDeps, StartedService } from './start.js'

/** Least time the pipeline gets to drain, however small the shutdown budget. */
const MIN_PIPELINE_DRAIN_MS = 1000

export async function runKafka (service: StartedService, config: Readonly<AppConfig>, deps: ServiceDeps): Promise<{ exitCode: number }> {
  const { pipeline, deadLetters, collector, logger, metrics } = service
  let exitCode = 0
  const source = new KafkaSource({
    kafka: service.kafka as Kafka,
    config: config.kafka,
    pipeline,
    deadLetters,
    logger: logger.child({ module: 'consumer' }),
    commitIntervalMs: config.kafka.commitIntervalMs,
    shutdownDrainMs: Math.floor(config.shutdown.timeoutMs * config.shutdown.consumerDrainShare),
    events: {
      ...metrics.consumer,
      deadLettered: (reason, count) => {
        metrics.consumer.deadLettered(reason, count)
        collector.deadLetters[reason] = (collector.deadLetters[reason] ?? 0) + count
      }
    }
  })
  const stopped = new Promise<string>((resolve) => {
    deps.signal?.addEventListener('abort', () => { resolve('signal') }, { once: true })
    pipeline.onFailure((error) => { logger.error({ err: error }, 'pipeline failed'); exitCode = 1; resolve('pipeline failure') })
    source.onCrash((error) => { logger.error({ err: error }, 'consumer crashed'); exitCode = 1; resolve('consumer crash') })
  })
  await source.start()
  logger.info({ topic: config.kafka.topic, group: config.kafka.groupId }, 'consuming')
  deps.onReady?.({ metricsUrl: service.metricsServer?.url ?? null })
  const reason = await stopped
  logger.info({ reason, inFlight: pipeline.inFlight }, 'shutting down: stop fetching, drain, commit')
  // Stopping the consumer lets each partition finish and commit its in-flight posts.
  await source.stop()
  const drained = await pipeline.drain(Math.max(MIN_PIPELINE_DRAIN_MS, Math.floor(config.shutdown.timeoutMs * config.shutdown.pipelineDrainShare)))
  if (!drained) logger.warn({ inFlight: pipeline.inFlight }, 'posts still in flight at shutdown; they will be read again')
  return { exitCode }
}
