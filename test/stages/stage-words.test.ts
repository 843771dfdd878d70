// Stage 1 hands its words to stage 2 (which no longer splits the post again),
// and neither stage times itself: the runner does (test/pipeline/runner.test.ts).
import { expect, test } from 'vitest'
import { createStage1 } from '../../src/stages/stage1.js'
import { createStage2 } from '../../src/stages/stage2.js'
import type { SpanRequest, TextModels, TypeRequest } from '../../src/stages/index.js'
import { makeWork } from '../pipeline/fakes.js'

function fakeModels (typeRequests: TypeRequest[]): TextModels {
  return {
    info: { recognizer: 'scanner', stage1: { version: 'f1', provider: 'cpu', file: '', maxLength: 128 }, stage2: { version: 'f2', provider: 'cpu', file: '', maxLength: 256 } },
    // Words 1-2 of every post are one entity span.
    detectSpans: async (requests: readonly SpanRequest[]) => requests.map(() => ({ spans: [{ start: 1, end: 3, score: 0.9 }], skippedWords: 0 })),
    recogniseSet: async () => { throw new Error('the scanner fake has no set recogniser') },
    recogniseTypes: async (requests: readonly TypeRequest[]) => {
      typeRequests.push(...requests)
      return requests.map(() => ({ label: 'PER' as const, scores: [0.9, 0.02, 0.03, 0.03, 0.02], objScores: [] }))
    },
    close: async () => {}
  }
}

test('stage 2 reads the words stage 1 split, and neither stage records timings', async () => {
  const requests: TypeRequest[] = []
  const models = fakeModels(requests)
  const stage1 = createStage1(models, { minSpanScore: 0.5 })
  const stage2 = createStage2(models, { minTypeScore: 0.5, maxNoneScore: 0.5 }, () => null)
  const work = makeWork(1, { text: 'Yesterday Maria Lopez visited Paris' })
  const [afterStage1] = await stage1.run([work])
  expect(afterStage1?.words?.map((word) => word.text)).toStrictEqual(['Yesterday', 'Maria', 'Lopez', 'visited', 'Paris'])
  expect(afterStage1?.candidates[0]?.candidate.text).toBe('Maria Lopez')

  // Stage 2 must take these words, not split the text again.
  afterStage1!.words = afterStage1!.words!.map((word) => ({ ...word, text: word.text.toUpperCase() }))
  const [afterStage2] = await stage2.run([afterStage1!])
  expect(requests[0]?.entityWords).toStrictEqual(['MARIA', 'LOPEZ'])
  expect(requests[0]?.sentenceWords).toStrictEqual(['YESTERDAY', 'MARIA', 'LOPEZ', 'VISITED', 'PARIS'])
  expect(afterStage2?.entities[0]?.type).toBe('PER')
  expect(afterStage2?.entities[0]?.candidate.text, 'the mention keeps the post\'s own text').toBe('Maria Lopez')
  expect(afterStage2?.timings).toStrictEqual({})
})

test('without stage 1\'s words (a tool calling stage 2 alone) stage 2 splits the analysed text itself', async () => {
  const requests: TypeRequest[] = []
  const models = fakeModels(requests)
  const [afterStage1] = await createStage1(models, { minSpanScore: 0.5 }).run([makeWork(2, { text: 'Yesterday Maria Lopez visited Paris' })])
  delete afterStage1!.words
  await createStage2(models, { minTypeScore: 0.5, maxNoneScore: 0.5 }, () => null).run([afterStage1!])
  expect(requests[0]?.entityWords).toStrictEqual(['Maria', 'Lopez'])
})
