// The in-memory source: every post of the list through the pipeline, with the
// list index as its offset; an invalid post is dead-lettered at the edge, as a
// Kafka record or a JSONL line would be, and the list goes on.
import { expect, test } from 'vitest'
import { inMemoryCoordinates, runInMemorySource } from '../../src/consumers/index.js'
import type { PostInput } from '../../src/contracts/index.js'
import { Pipeline } from '../../src/pipeline/index.js'
import { InMemoryDeadLetterSink, InMemorySink } from '../../src/sinks/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'

function pipeline (sink: InMemorySink, deadLetters: InMemoryDeadLetterSink, maxInFlight = 4): Pipeline {
  return new Pipeline({ stages: fakeStages(), sink, deadLetters, maxBatchSize: 2, maxWaitMs: 5, queueCapacity: 1, maxInFlight })
}

test('every valid post is indexed with its list index as offset, the invalid one dead-lettered', async () => {
  const sink = new InMemorySink({ models: { stage1: 's1', stage2: 's2' } })
  const deadLetters = new InMemoryDeadLetterSink()
  const runner = pipeline(sink, deadLetters)
  const invalid = { ...makePost(2), created_at: 'yesterday' }
  const posts: PostInput[] = [makePost(0), makePost(1), invalid, ...Array.from({ length: 7 }, (_, i) => makePost(i + 3))]
  let done = 0
  const result = await runInMemorySource({ posts, topic: 'list', pipeline: runner, deadLetters, onDone: () => { done++ } })
  await runner.close()
  expect(result).toEqual({ posts: 10, admitted: 9, indexed: 9, deadLettered: 1, reasons: { schema_violation: 1 } })
  expect(done).toBe(10)
  const indexed = sink.take().map((post) => post.work)
  expect(indexed.map((work) => work.source).sort((a, b) => Number(a.offset) - Number(b.offset)))
    .toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9].map((index) => inMemoryCoordinates('list', index)))
  expect(indexed.every((work) => work.entities.length > 0)).toBe(true)
  const [letter] = deadLetters.take()
  expect(letter).toMatchObject({ reason: 'schema_violation', source: inMemoryCoordinates('list', 2), postId: 'post-00002' })
  expect(letter?.detail).toContain('created_at')
})

test('the source waits for capacity: never more posts in flight than the pipeline admits', async () => {
  const sink = new InMemorySink({ models: { stage1: 's1', stage2: 's2' } })
  const deadLetters = new InMemoryDeadLetterSink()
  const runner = pipeline(sink, deadLetters, 2)
  let most = 0
  const write = sink.write.bind(sink)
  sink.write = async (items) => { most = Math.max(most, runner.inFlight); return await write(items) }
  const result = await runInMemorySource({ posts: Array.from({ length: 9 }, (_, i) => makePost(i)), topic: 'list', pipeline: runner, deadLetters })
  await runner.close()
  expect(result.indexed).toBe(9)
  expect(most).toBeLessThanOrEqual(2)
})

test('an aborted signal stops reading: the posts not yet admitted are not processed', async () => {
  const sink = new InMemorySink({ models: { stage1: 's1', stage2: 's2' } })
  const deadLetters = new InMemoryDeadLetterSink()
  const runner = pipeline(sink, deadLetters)
  const abort = new AbortController()
  abort.abort()
  const result = await runInMemorySource({ posts: [makePost(1)], topic: 'list', pipeline: runner, deadLetters, signal: abort.signal })
  await runner.close()
  expect(result).toEqual({ posts: 1, admitted: 0, indexed: 0, deadLettered: 0, reasons: {} })
})
