import { expect, test } from 'vitest'
import { Pipeline, analysedLength } from '../../src/pipeline/index.js'
import { toEntityDocuments } from '../../src/sinks/index.js'
import { MemoryDeadLetters, MemorySink, fakeStages, makeWork } from './fakes.js'

test('the analysed prefix never ends inside a surrogate pair', () => {
  expect(analysedLength('abc', 10)).toBe(3)
  expect(analysedLength('ab😀cd', 3)).toBe(2)
  expect(analysedLength('ab😀cd', 4)).toBe(4)
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
  expect(await Promise.all([pipeline.push(long), pipeline.push(short), pipeline.push(mid)])).toStrictEqual(['indexed', 'indexed', 'indexed'])
  await pipeline.close()
  expect(long.analysedChars).toBe(1000)
  expect(long.truncated).toStrictEqual(['chars', 'candidates', 'mentions'])
  expect(long.candidates.length).toBe(30)
  expect(long.entities.length).toBe(10)
  expect(long.candidates.every(({ candidate }) => candidate.end <= 1000)).toBeTruthy()
  expect(short.truncated ?? []).toStrictEqual([])
  expect(mid.truncated, '20 mentions, 10 kept').toStrictEqual(['mentions'])
  const docs = toEntityDocuments(long, { stage1: 'a', stage2: 'b' }, new Date().toISOString())
  expect(docs.length).toBe(10)
  expect(docs[0]?.post.text.length).toBe(1000)
  expect(docs[0]?.post.text_length).toBe(20_000)
  expect(docs[0]?.post.truncated).toBe(true)
  const shortDocs = toEntityDocuments(short, { stage1: 'a', stage2: 'b' }, new Date().toISOString())
  expect(shortDocs[0]?.post.text).toBe(short.post.text)
  expect(shortDocs[0]?.post.truncated).toBe(false)
})
