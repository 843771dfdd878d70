// The in-memory processor: the service started from its config with an
// in-memory source and sink. Each list comes back as each post's final
// PostWork in input order, whatever order the batches reached the sink in;
// the config's caps apply; no file of the config is touched.
import { expect, test } from 'vitest'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { parseConfig } from '../../src/config/index.js'
import type { PostWork, Stage } from '../../src/pipeline/index.js'
import { sleep } from '../../src/pipeline/index.js'
import { inInputOrder, startInMemoryProcessor } from '../../src/service/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'

const silent = pino({ level: 'silent' })

/** A middle stage that takes three batches at once and holds earlier ones longer, so later batches overtake them. */
function overtakingStage (): Stage {
  let calls = 0
  return {
    name: 'image',
    concurrency: 3,
    async init () {},
    async run (batch: PostWork[]) {
      await sleep(Math.max(0, 12 - 4 * (calls++ % 3)))
      return batch
    },
    async close () {}
  }
}

function config (dir: string, pipeline: Record<string, number>): ReturnType<typeof parseConfig> {
  return parseConfig({
    files: { input: join(dir, 'in.jsonl'), output: join(dir, 'out.jsonl'), deadLetters: join(dir, 'dead.jsonl') },
    pipeline: { maxWaitMs: 5, ...pipeline },
    knowledge: { enabled: false },
    images: { enabled: false }
  })
}

test('posts come back in input order with their documents, though batches overtake each other; no output file is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-in-memory-'))
  const [stage1, typing] = fakeStages() as [Stage, Stage]
  const arrived: string[] = []
  const stage2: Stage = { ...typing, run: async (batch) => { arrived.push(...batch.map((work) => work.post.id)); return await typing.run(batch) } }
  const processor = await startInMemoryProcessor(config(dir, { maxBatchSize: 2 }), silent, { stages: [stage1, overtakingStage(), stage2], registry: new Registry(), models: { stage1: 's1', stage2: 's2' } })
  try {
    expect(processor.service.pipeline.stageNames).toEqual(['stage1', 'image', 'stage2'])
    const posts = Array.from({ length: 12 }, (_, i) => makePost(i))
    const seen: number[] = []
    const run = await processor.process(posts, { onDone: (done, total) => { seen.push(done); expect(total).toBe(12) } })
    expect(arrived).not.toEqual(posts.map((post) => post.id))
    expect(run.works.map((work) => work.post.id)).toEqual(posts.map((post) => post.id))
    expect(run.works.map((work) => work.source.offset)).toEqual(posts.map((_, i) => String(i)))
    expect(run.documents.map((documents) => documents.length)).toEqual(run.works.map((work) => work.entities.length))
    expect(run.deadLetters).toEqual([])
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    // A second list on the same started service starts again at offset 0.
    const again = await processor.process([makePost(40), makePost(41)])
    expect(again.works.map((work) => work.post.id)).toEqual(['post-00040', 'post-00041'])
  } finally {
    await processor.close()
  }
  expect(existsSync(join(dir, 'out.jsonl'))).toBe(false)
  expect(existsSync(join(dir, 'dead.jsonl'))).toBe(false)
})

test('the config\'s per-post caps apply, and an invalid post comes back as a dead letter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-in-memory-'))
  const processor = await startInMemoryProcessor(config(dir, { maxBatchSize: 4, maxCandidatesPerPost: 2, maxMentionsPerPost: 1 }), silent, { stages: fakeStages(), registry: new Registry() })
  try {
    const run = await processor.process([makePost(1), { ...makePost(2), id: '' }, makePost(3)])
    expect(run.works.map((work) => work.post.id)).toEqual(['post-00001', 'post-00003'])
    expect(run.works.every((work) => work.candidates.length === 2 && work.entities.length === 1)).toBe(true)
    expect(run.works[0]?.truncated).toEqual(['candidates', 'mentions'])
    expect(run.deadLetters.map((letter) => letter.reason)).toEqual(['schema_violation'])
    expect(run.source).toMatchObject({ posts: 3, indexed: 2, deadLettered: 1 })
  } finally {
    await processor.close()
  }
})

test('one list at a time: a second call while one runs is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-in-memory-'))
  const processor = await startInMemoryProcessor(config(dir, { maxBatchSize: 2 }), silent, { stages: fakeStages({ delayMs: 5 }), registry: new Registry() })
  try {
    const first = processor.process([makePost(1), makePost(2)])
    await expect(processor.process([makePost(3)])).rejects.toMatchObject({ code: 'GS_ERR_USAGE' })
    expect((await first).works).toHaveLength(2)
  } finally {
    await processor.close()
  }
})

test('inInputOrder refuses a post from another list or one that arrived twice', () => {
  const post = (topic: string, offset: string): Parameters<typeof inInputOrder>[0][number] =>
    ({ work: { source: { topic, partition: 0, offset } } as PostWork, documents: [] })
  expect(inInputOrder([post('a', '1'), post('a', '0')], 'a', 2).map((p) => p.work.source.offset)).toEqual(['0', '1'])
  expect(() => inInputOrder([post('b', '0')], 'a', 1)).toThrow(/from elsewhere/)
  expect(() => inInputOrder([post('a', '0'), post('a', '0')], 'a', 1)).toThrow(/twice/)
  expect(() => inInputOrder([post('a', '3')], 'a', 2)).toThrow(/from elsewhere/)
})
