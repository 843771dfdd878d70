// An in-memory source: a list of posts held by the caller (eval's data set, a
// tool's sample), fed to the pipeline through the same edge validation as a
// Kafka record or a JSONL line (`parsePost`); a post's index in the list is
// its offset. A post that fails validation is dead-lettered and the list goes
// on. Resolves once every admitted post is indexed or dead-lettered.
import { parsePost, type PostInput } from '../contracts/index.js'
import { wrapError } from '../errors/index.js'
import type { DeadLetterSink, Pipeline, SourceCoordinates } from '../pipeline/index.js'
import { newPostWork } from './decode.js'

export interface InMemorySourceOptions {
  posts: readonly PostInput[]
  /** Names the list in each post's source coordinates (`topic`); offsets are list indices. */
  topic: string
  pipeline: Pipeline
  deadLetters: DeadLetterSink
  signal?: AbortSignal
  /** Called once per post when it is indexed or dead-lettered. */
  onDone?: () => void
}

export interface InMemorySourceResult {
  posts: number
  admitted: number
  indexed: number
  deadLettered: number
  reasons: Record<string, number>
}

/** The coordinates of the post at `index` of an in-memory list. */
export function inMemoryCoordinates (topic: string, index: number): SourceCoordinates {
  return { topic, partition: 0, offset: String(index) }
}

export async function runInMemorySource (options: InMemorySourceOptions): Promise<InMemorySourceResult> {
  const { pipeline, deadLetters } = options
  const result: InMemorySourceResult = { posts: options.posts.length, admitted: 0, indexed: 0, deadLettered: 0, reasons: {} }
  const deadLetter = (reason: string): void => {
    result.deadLettered++
    result.reasons[reason] = (result.reasons[reason] ?? 0) + 1
    options.onDone?.()
  }
  const done: Array<Promise<void>> = []
  for (const [index, input] of options.posts.entries()) {
    if (options.signal?.aborted === true) break
    await pipeline.waitForCapacity(options.signal)
    if (pipeline.error !== null) throw pipeline.error
    const source = inMemoryCoordinates(options.topic, index)
    const parsed = parsePost(input)
    if (!parsed.ok) {
      const postId = typeof input.id === 'string' ? input.id : undefined
      await deadLetters.publish([{ reason: 'schema_violation', detail: parsed.reason, source, key: null, value: JSON.stringify(input), ...(postId === undefined ? {} : { postId }) }])
      deadLetter('schema_violation')
      continue
    }
    result.admitted++
    done.push(pipeline.push(newPostWork(parsed.post, source)).then((outcome) => {
      if (outcome === 'indexed') {
        result.indexed++
        options.onDone?.()
      } else {
        deadLetter('sink_rejected')
      }
    }))
  }
  pipeline.flush()
  const settled = await Promise.allSettled(done)
  const failed = settled.find((entry): entry is PromiseRejectedResult => entry.status === 'rejected')
  if (failed !== undefined) throw wrapError('GS_ERR_SINK', 'posts were not indexed', failed.reason)
  return result
}
