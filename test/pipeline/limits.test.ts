import { test } from 'vitest'
import assert from 'node:assert/strict'
import { Pipeline, analysedLength } from '../../src/pipeline/index.js'
import { toEntityDocuments } from '../../src/sinks/index.js'
import { MemoryDeadLetters, MemorySink, fakeStages, makeWork } from './fakes.js'

test('the analysed prefix never ends inside a surrogate pair', () => {
  assert.equal(analysedLength('abc', 10), 3)
  assert.equal(analysedLength('ab😀cd', 3), 2)
  assert.equal(analysedLength('ab😀cd', 4), 4)
})

test('per-post caps: characters analysed, candidates and mentions are bounded and marked; short posts untouched', async () => {
  const sink = new MemorySink()
  const pipeline = new Pipeline({
    stages: fakeStages(), sink, deadLetters: new MemoryDeadLetters(), maxBatchSize: 4, maxWaitMs: 1, queueCapacity: 2, maxInFlight: 8,
    limits: { maxAnalysedChars: 1000, maxCandidates: 30, maxMentions: 10 }
  })
  const long = makeWork(1, { text: 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000) })
  const short = makeWork(2)
  const mid = makeWork(3, { text: 'Tim Cook visited Paris. '.repeat(10) })
  assert.deepEqual(await Promise.all([pipeline.push(long), pipeline.push(short), pipeline.push(mid)]), ['indexed', 'indexed', 'indexed'])
  await pipeline.close()
  assert.equal(long.analysedChars, 1000)
  assert.deepEqual(long.truncated, ['chars', 'candidates', 'mentions'])
  assert.equal(long.candidates.length, 30)
  assert.equal(long.entities.length, 10)
  assert.ok(long.candidates.every(({ candidate }) => candidate.end <= 1000))
  assert.deepEqual(short.truncated ?? [], [])
  assert.deepEqual(mid.truncated, ['mentions'], '20 mentions, 10 kept')
  const docs = toEntityDocuments(long, { stage1: 'a', stage2: 'b' }, new Date().toISOString())
  assert.equal(docs.length, 10)
  assert.equal(docs[0]?.post.text.length, 1000)
  assert.equal(docs[0]?.post.text_length, 20_000)
  assert.equal(docs[0]?.post.truncated, true)
  const shortDocs = toEntityDocuments(short, { stage1: 'a', stage2: 'b' }, new Date().toISOString())
  assert.equal(shortDocs[0]?.post.text, short.post.text)
  assert.equal(shortDocs[0]?.post.truncated, false)
})
