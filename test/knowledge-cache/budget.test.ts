import assert from 'node:assert/strict'
import { expect, test } from 'vitest'
import { approximateTokenCounter, loadTokenCounter, trimToBudget } from '../../src/knowledge-cache/index.js'
import { repoPath } from '../support/paths.js'

test('trim keeps whole words within the budget and is deterministic', () => {
  const text = 'Bella Hadid is an American fashion model; she was named Model of the Year in 2016 by the British Fashion Council.'
  const trimmed = trimToBudget(text, 10)
  expect(trimmed).toBe('Bella Hadid is an American fashion model;')
  expect(trimToBudget(text, 10)).toBe(trimmed)
  const cost = trimmed.split(' ').reduce((sum, word) => sum + approximateTokenCounter.countWord(word), 0)
  expect(cost <= 10).toBeTruthy()
  expect(trimToBudget(text, 1000)).toBe(text)
  expect(trimToBudget('  spaced \n  out  ', 5)).toBe('spaced out')
  expect(trimToBudget('Supercalifragilistic', 3)).toBe('')
})

test('the approximate counter errs long: punctuation and long words cost extra', () => {
  expect(approximateTokenCounter.countWord('cat')).toBe(1)
  expect(approximateTokenCounter.countWord('cat,')).toBe(2)
  expect(approximateTokenCounter.countWord('D.C.')).toBe(4)
  expect(approximateTokenCounter.countWord('internationalisation')).toBe(4)
})

test('a fake WordPiece counter is honoured', () => {
  const counter = { kind: 'wordpiece' as const, countWord: (word: string) => word.length }
  expect(trimToBudget('ab cd ef', 4, counter)).toBe('ab cd')
})

test('the WordPiece counter loads a local tokenizer.json and counts sub-tokens', async () => {
  const counter = await loadTokenCounter(repoPath('test/fixtures/knowledge/tokenizer/tokenizer.json'))
  expect(counter.kind).toBe('wordpiece')
  expect(counter.countWord('Bella')).toBe(1)
  expect(counter.countWord('Hadid')).toBe(2)
  expect(counter.countWord('model,')).toBe(2)
  expect(counter.countWord('zzz'), 'an unknown word is one [UNK]').toBe(1)
  expect(trimToBudget('Bella Hadid is a fashionable model', 5, counter)).toBe('Bella Hadid is a')
})

test('a missing tokenizer is a coded error naming the path', async () => {
  await assert.rejects(loadTokenCounter('/nonexistent/tokenizer.json'), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_MODEL_MISSING')
    expect(error.message).toMatch(/\/nonexistent\/tokenizer\.json/)
    return true
  })
})
