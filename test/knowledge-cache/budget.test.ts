import assert from 'node:assert/strict'
import { test } from 'vitest'
import { approximateTokenCounter, loadTokenCounter, trimToBudget } from '../../src/knowledge-cache/index.js'
import { repoPath } from '../support/paths.js'

test('trim keeps whole words within the budget and is deterministic', () => {
  const text = 'Bella Hadid is an American fashion model; she was named Model of the Year in 2016 by the British Fashion Council.'
  const trimmed = trimToBudget(text, 10)
  assert.equal(trimmed, 'Bella Hadid is an American fashion model;')
  assert.equal(trimToBudget(text, 10), trimmed)
  const cost = trimmed.split(' ').reduce((sum, word) => sum + approximateTokenCounter.countWord(word), 0)
  assert.ok(cost <= 10)
  assert.equal(trimToBudget(text, 1000), text)
  assert.equal(trimToBudget('  spaced \n  out  ', 5), 'spaced out')
  assert.equal(trimToBudget('Supercalifragilistic', 3), '')
})

test('the approximate counter errs long: punctuation and long words cost extra', () => {
  assert.equal(approximateTokenCounter.countWord('cat'), 1)
  assert.equal(approximateTokenCounter.countWord('cat,'), 2)
  assert.equal(approximateTokenCounter.countWord('D.C.'), 4)
  assert.equal(approximateTokenCounter.countWord('internationalisation'), 4)
})

test('a fake WordPiece counter is honoured', () => {
  const counter = { kind: 'wordpiece' as const, countWord: (word: string) => word.length }
  assert.equal(trimToBudget('ab cd ef', 4, counter), 'ab cd')
})

test('the WordPiece counter loads a local tokenizer.json and counts sub-tokens', async () => {
  const counter = await loadTokenCounter(repoPath('test/fixtures/knowledge/tokenizer/tokenizer.json'))
  assert.equal(counter.kind, 'wordpiece')
  assert.equal(counter.countWord('Bella'), 1)
  assert.equal(counter.countWord('Hadid'), 2)
  assert.equal(counter.countWord('model,'), 2)
  assert.equal(counter.countWord('zzz'), 1, 'an unknown word is one [UNK]')
  assert.equal(trimToBudget('Bella Hadid is a fashionable model', 5, counter), 'Bella Hadid is a')
})

test('a missing tokenizer is a coded error naming the path', async () => {
  await assert.rejects(loadTokenCounter('/nonexistent/tokenizer.json'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'GS_ERR_MODEL_MISSING')
    assert.match(error.message, /\/nonexistent\/tokenizer\.json/)
    return true
  })
})
