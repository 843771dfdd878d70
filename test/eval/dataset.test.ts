import assert from 'node:assert/strict'
import { expect, test } from 'vitest'
import { bioToSpans, parseConll, parseVocXml, readSplit, type DatasetTweet } from '../../src/eval/dataset.js'
import { predictionLines } from '../../src/eval/run-eval.js'
import { isGroundstreamError } from '../../src/errors/index.js'
import { repoPath } from '../support/paths.js'

const FIXTURE = repoPath('test', 'fixtures', 'gmner-mini')

test('bioToSpans repairs orphan I- tags and splits on type changes', () => {
  expect(bioToSpans(['O', 'I-PER', 'I-PER', 'O'])).toStrictEqual([{ wordStart: 1, wordEnd: 3, type: 'PER' }])
  expect(bioToSpans(['B-PER', 'I-LOC', 'B-ORG', 'I-ORG'])).toStrictEqual([
    { wordStart: 0, wordEnd: 1, type: 'PER' },
    { wordStart: 1, wordEnd: 2, type: 'LOC' },
    { wordStart: 2, wordEnd: 4, type: 'ORG' }
  ])
  expect(bioToSpans(['O', 'O'])).toStrictEqual([])
})

test('parseConll rejects a token line outside a tweet with the line number', () => {
  assert.throws(() => parseConll('Paris\tB-LOC\n', 'bad.txt'), (error: unknown) =>
    isGroundstreamError(error, 'GS_ERR_DATASET') && error.message.includes('bad.txt:1'))
  expect(() => parseConll('IMGID:1\nno-tab-here\n', 'bad.txt')).toThrow(/bad\.txt:2/)
})

test('parseVocXml reads size and every object', () => {
  const voc = parseVocXml('<annotation><size><width>50</width><height>40</height></size><object><name>A B</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object></annotation>')
  expect(voc).toStrictEqual({ width: 50, height: 40, objects: [{ name: 'A B', box: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 } }] })
})

test('readSplit joins words, finds char offsets and attaches boxes by surface text', async () => {
  const tweets = await readSplit(FIXTURE, 'dev')
  expect(tweets.length).toBe(2)
  const [first, second] = tweets
  assert.ok(first !== undefined && second !== undefined)
  expect(first.text).toBe('Lunch with Marta Okafor at Lakeview Pier today')
  expect(first.entities.map((entity) => [entity.text, entity.type, entity.boxes.length])).toStrictEqual([
    ['Marta Okafor', 'PER', 2],
    ['Lakeview Pier', 'LOC', 0]
  ])
  expect(first.text.slice(first.entities[0]?.start, first.entities[0]?.end)).toBe('Marta Okafor')
  expect(first.imageSize).toStrictEqual({ width: 400, height: 300 })
  // The orphan I-OTHER on "Eurocup" becomes its own entity; no xml means no image size.
  expect(second.entities.map((entity) => [entity.text, entity.type])).toStrictEqual([['Zentrix Labs', 'ORG'], ['Eurocup', 'OTHER']])
  expect(second.imageSize).toBe(null)
})

test('readSplit names the missing file', async () => {
  await assert.rejects(readSplit(FIXTURE, 'nope'), (error: unknown) => isGroundstreamError(error, 'GS_ERR_DATASET') && error.message.includes('nope.txt'))
})

test('predictionLines writes one line per post with the text of gold, predicted and candidate spans', async () => {
  const tweets = await readSplit(FIXTURE, 'dev')
  const first = tweets[0] as DatasetTweet
  const documents = tweets.map((tweet, i) => i === 0
    ? {
        gold: tweet.entities,
        predicted: [{ start: 11, end: 23, type: 'ORG' as const, box: null }],
        candidates: [{ start: 11, end: 23 }, { start: 27, end: 35 }]
      }
    : { gold: tweet.entities, predicted: [] })
  const lines = predictionLines(tweets, documents).map((line) => JSON.parse(line) as Record<string, unknown>)
  expect(lines.length).toBe(tweets.length)
  expect(lines[0]).toStrictEqual({
    id: first.imageId,
    text: first.text,
    gold: [{ start: 11, end: 23, type: 'PER', text: 'Marta Okafor' }, { start: 27, end: 40, type: 'LOC', text: 'Lakeview Pier' }],
    predicted: [{ start: 11, end: 23, type: 'ORG', text: 'Marta Okafor' }],
    candidates: [{ start: 11, end: 23, text: 'Marta Okafor' }, { start: 27, end: 35, text: 'Lakeview' }]
  })
  expect(lines[1]?.predicted).toStrictEqual([])
  expect(lines[1]?.candidates).toStrictEqual([])
})
