// The started service with an in-memory source and sink: a caller hands it a
// list of posts and gets back each post's final PostWork, in input order,
// after the same pipeline `run` ships (admission and per-stage caps,
// micro-batching, stage queues, knowledge, images). Eval scores what it
// returns; a tool or bench can read the entity documents too.
import type { Logger } from 'pino'
import type { AppConfig } from '../config/index.js'
import { runInMemorySource, type InMemorySourceResult } from '../consumers/index.js'
import type { EntityDocument, PostInput } from '../contracts/index.js'
import { GroundstreamError } from '../errors/index.js'
import type { DeadLetter, PostWork } from '../pipeline/index.js'
import { InMemoryDeadLetterSink, InMemorySink, type CollectedPost } from '../sinks/index.js'
import { startService, type ServiceDeps, type StartedService } from './start.js'

export interface InMemoryRun {
  /** The final PostWork of every indexed post, in input order. */
  works: PostWork[]
  /** Their entity documents, aligned with `works`. */
  documents: EntityDocument[][]
  /** Posts that were not indexed (invalid, or refused by the sink), in the order they were given up. */
  deadLetters: DeadLetter[]
  source: InMemorySourceResult
}

export interface InMemoryProcessOptions {
  signal?: AbortSignal
  /** Called once per post when it is indexed or dead-lettered. */
  onDone?: (done: number, total: number) => void
}

export interface InMemoryProcessor {
  readonly service: StartedService
  /** Runs the posts through the pipeline; one call at a time. */
  process (posts: readonly PostInput[], options?: InMemoryProcessOptions): Promise<InMemoryRun>
  /** Closes the service (pipeline, sinks, stages it built) in reverse order of startup. */
  close (): Promise<void>
}

/** Puts what the sink collected back in input order: each post's offset is its index in the list. */
export function inInputOrder (collected: readonly CollectedPost[], topic: string, total: number): CollectedPost[] {
  const ordered: Array<CollectedPost | undefined> = new Array<CollectedPost | undefined>(total)
  for (const post of collected) {
    const index = Number(post.work.source.offset)
    if (post.work.source.topic !== topic || !Number.isInteger(index) || index < 0 || index >= total) {
      throw new GroundstreamError('GS_ERR_SINK', `in-memory sink holds a post from elsewhere: ${post.work.source.topic}@${post.work.source.offset}`)
    }
    if (ordered[index] !== undefined) throw new GroundstreamError('GS_ERR_SINK', `post ${index} of ${topic} reached the sink twice`)
    ordered[index] = post
  }
  return ordered.filter((post): post is CollectedPost => post !== undefined)
}

/**
 * The service from `config` (its stages, caps and batching; `deps.stages`
 * replaces the stages, as for `run`) reading from in-memory lists and writing
 * to memory. The config's Kafka, Elasticsearch and JSONL files are not touched.
 */
export async function startInMemoryProcessor (config: Readonly<AppConfig>, logger: Logger, deps: ServiceDeps = {}): Promise<InMemoryProcessor> {
  let sink: InMemorySink | null = null
  const deadLetters = new InMemoryDeadLetterSink()
  const service = await startService(config, logger, {
    ...deps,
    source: 'memory',
    sinks: (models) => {
      sink = new InMemorySink({ models })
      return { sink, deadLetters }
    }
  })
  const collector = sink as InMemorySink | null
  if (collector === null) {
    await service.close()
    throw new GroundstreamError('GS_ERR_SINK', 'the service did not build the in-memory sink')
  }
  let runs = 0
  let busy = false
  const process = async (posts: readonly PostInput[], options: InMemoryProcessOptions = {}): Promise<InMemoryRun> => {
    if (busy) throw new GroundstreamError('GS_ERR_USAGE', 'an in-memory processor runs one list at a time')
    busy = true
    try {
      const topic = `memory:${++runs}`
      let done = 0
      const source = await runInMemorySource({
        posts,
        topic,
        pipeline: service.pipeline,
        deadLetters,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onDone: () => { done++; options.onDone?.(done, posts.length) }
      })
      const ordered = inInputOrder(collector.take(), topic, posts.length)
      return { works: ordered.map((post) => post.work), documents: ordered.map((post) => post.documents), deadLetters: deadLetters.take(), source }
    } finally {
      busy = false
    }
  }
  return { service, process, close: () => service.close() }
}
