// The in-memory sinks: the finished posts with their entity documents, and the
// dead letters, held until taken, in the order they arrived.
import { expect, test } from 'vitest'
import { InMemoryDeadLetterSink, InMemorySink } from '../../src/sinks/index.js'
import { fakeStages, makeWork } from '../pipeline/fakes.js'

const models = { stage1: 's1', stage2: 's2' }

async function typed (i: number): Promise<ReturnType<typeof makeWork>> {
  let batch = [makeWork(i)]
  for (const stage of fakeStages()) batch = await stage.run(batch)
  return batch[0] as ReturnType<typeof makeWork>
}

test('the in-memory sink keeps each post with its entity documents and says how many it indexed', async () => {
  const sink = new InMemorySink({ models, now: () => new Date('2026-01-01T00:00:00Z') })
  await sink.init()
  const works = [await typed(1), await typed(2)]
  const outcomes = await sink.write(works)
  const expected = works.map((work) => work.entities.length)
  expect(outcomes).toEqual(expected.map((documents) => ({ ok: true, documents })))
  expect(sink.size).toBe(2)
  const taken = sink.take()
  expect(taken.map((post) => post.work)).toEqual(works)
  expect(taken.map((post) => post.documents.length)).toEqual(expected)
  expect(taken[0]?.documents[0]?.post_id).toBe(works[0]?.post.id)
  expect(taken[0]?.documents[0]?.processed_at).toBe('2026-01-01T00:00:00.000Z')
})

test('take hands over what arrived so far, in arrival order, and forgets it', async () => {
  const sink = new InMemorySink({ models })
  await sink.write([await typed(3)])
  await sink.write([await typed(1), await typed(2)])
  expect(sink.take().map((post) => post.work.post.id)).toEqual(['post-00003', 'post-00001', 'post-00002'])
  expect(sink.take()).toEqual([])
  expect(sink.size).toBe(0)
})

test('a closed in-memory sink refuses writes with a sink error', async () => {
  const sink = new InMemorySink({ models })
  await sink.close()
  await expect(sink.write([makeWork(1)])).rejects.toMatchObject({ code: 'GS_ERR_SINK' })
})

test('the in-memory dead-letter sink keeps the records in publish order until taken', async () => {
  const letters = new InMemoryDeadLetterSink()
  const letter = (offset: string): Parameters<InMemoryDeadLetterSink['publish']>[0][number] =>
    ({ reason: 'schema_violation', detail: 'bad', source: { topic: 't', partition: 0, offset }, key: null, value: null })
  await letters.publish([letter('1')])
  await letters.publish([letter('2'), letter('3')])
  expect(letters.size).toBe(3)
  expect(letters.take().map((record) => record.source.offset)).toEqual(['1', '2', '3'])
  expect(letters.size).toBe(0)
})
