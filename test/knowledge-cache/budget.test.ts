import assert from 'node:assert/strict'
import { test } from 'node:test'
import { approximateTokenCounter, trimToBudget } from '../../src/knowledge-cache/index.js'

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
