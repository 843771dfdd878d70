// Eval through the service's pipeline gives the predictions the stages give
// when applied directly, post for post and in input order, whatever the
// micro-batch size and even when batches overtake each other in a stage.
import { expect, test } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { parseConfig } from '../../src/config/index.js'
import { newPostWork } from '../../src/consumers/index.js'
import type { EntityType } from '../../src/contracts/index.js'
import type { DatasetTweet } from '../../src/eval/dataset.js'
import { evaluate } from '../../src/eval/metrics.js'
import { runEvaluation, tweetToPost, workToPrediction } from '../../src/eval/run-eval.js'
import type { PostWork, Stage } from '../../src/pipeline/index.js'
import { sleep } from '../../src/pipeline/index.js'
import { startInMemoryProcessor } from '../../src/service/index.js'
import { fakeStages } from '../pipeline/fakes.js'

const PEOPLE = ['Maria Lopez', 'John Smith', 'Ana Silva', 'Lee Chen']
const PLACES = ['Paris', 'Lima', 'Oslo']

/** A project-written tweet: "<person> met friends in <place> with Nike", its gold entities and words. */
function tweet (i: number): DatasetTweet {
  const person = PEOPLE[i % PEOPLE.length] as string
  const place = PLACES[i % PLACES.length] as string
  const text = i % 5 === 0 ? `no names here ${i}` : `${person} met friends in ${place} with Nike ${i}`
  const words = text.split(' ')
  const wordStarts = words.map((_, w) => words.slice(0, w).join(' ').length + (w === 0 ? 0 : 1))
  const gold = (surface: string, type: EntityType): DatasetTweet['entities'][number] => {
    const start = text.indexOf(surface)
    const wordStart = wordStarts.indexOf(start)
    return { start, end: start + surface.length, type, boxes: [], text: surface, wordStart, wordEnd: wordStart + surface.split(' ').length }
  }
  const entities = i % 5 === 0 ? [] : [gold(person, 'PER'), gold(place, i % 2 === 0 ? 'LOC' : 'ORG'), gold('Nike', 'ORG')]
  return { imageId: `img${i}`, words, tags: words.map(() => 'O'), text, wordStarts, entities, imageSize: null }
}

const TWEETS = Array.from({ length: 23 }, (_, i) => tweet(i))

/** The middle stage holds earlier batches longer and takes three at once, so later batches overtake them. */
function overtakingStage (): Stage {
  let calls = 0
  return {
    name: 'image',
    concurrency: 3,
    async init () {},
    async run (batch: PostWork[]) {
      await sleep(Math.max(0, 9 - 3 * (calls++ % 3)))
      return batch
    },
    async close () {}
  }
}

/** The old eval loop: every stage applied to each slice of `size` tweets in turn. */
async function direct (tweets: readonly DatasetTweet[], stages: readonly Stage[], size: number): Promise<PostWork[]> {
  const works: PostWork[] = []
  for (let i = 0; i < tweets.length; i += size) {
    let batch = tweets.slice(i, i + size).map((t, j) => newPostWork(tweetToPost(t, i + j), { topic: 'eval', partition: 0, offset: String(i + j) }))
    for (const stage of stages) batch = await stage.run(batch)
    works.push(...batch)
  }
  return works
}

const silent = pino({ level: 'silent' })

for (const maxBatchSize of [1, 3, 7, 64]) {
  test(`micro-batches of ${maxBatchSize}: the same predictions as the stages applied directly, in input order`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-eval-'))
    const config = parseConfig({
      files: { input: join(dir, 'in.jsonl'), output: join(dir, 'out.jsonl'), deadLetters: join(dir, 'dead.jsonl') },
      pipeline: { maxBatchSize, maxWaitMs: 5, maxInFlight: Math.max(maxBatchSize, 8) },
      knowledge: { enabled: false },
      images: { enabled: false }
    })
    const [stage1, stage2] = fakeStages() as [Stage, Stage]
    const processor = await startInMemoryProcessor(config, silent, { stages: [stage1, overtakingStage(), stage2], registry: new Registry() })
    const progress: number[] = []
    let result
    try {
      result = await runEvaluation(TWEETS, processor, { onProgress: (done) => { progress.push(done) } })
    } finally {
      await processor.close()
    }
    const expected = (await direct(TWEETS, fakeStages(), 5)).map((work, i) => workToPrediction(work, TWEETS[i] as DatasetTweet))
    expect(result.works.map((work) => work.post.id)).toEqual(TWEETS.map((t, i) => `${t.imageId}#${i}`))
    expect(result.documents).toEqual(expected)
    expect(result.scores).toEqual(evaluate(expected))
    expect(result.scores.mner.gold).toBe(TWEETS.reduce((sum, t) => sum + t.entities.length, 0))
    expect(progress.at(-1)).toBe(TWEETS.length)
  })
}

test('a tweet the pipeline gives up on fails the evaluation with what happened to it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-eval-'))
  const config = parseConfig({
    files: { input: join(dir, 'in.jsonl'), output: join(dir, 'out.jsonl'), deadLetters: join(dir, 'dead.jsonl') },
    knowledge: { enabled: false },
    images: { enabled: false }
  })
  const processor = await startInMemoryProcessor(config, silent, { stages: fakeStages(), registry: new Registry() })
  const bad = { ...tweet(1), imageId: 'x'.repeat(300) }
  try {
    await expect(runEvaluation([tweet(0), bad], processor)).rejects.toMatchObject({ code: 'GS_ERR_DATASET', message: expect.stringMatching(/1 of 2 posts .*schema_violation/) })
  } finally {
    await processor.close()
  }
})
