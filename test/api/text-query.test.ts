// The post-text search language (src/api/text-query.ts): what it parses,
// what it refuses and why, and what each backend is asked; the answers of
// both backends are checked in test/api/api.test.ts.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { MAX_TEXT_TERMS, TextQueryError, formatTextQuery, parseTextQuery, textQueryToElasticsearch, textQueryToSql } from '../../src/api/text-query.js'

const parsed = (source: string): string => formatTextQuery(parseTextQuery(source))

test('words side by side must all match; OR binds looser than AND', () => {
  expect(parsed('acme')).toBe('acme')
  expect(parsed('new store')).toBe('new AND store')
  expect(parsed('a b OR c')).toBe('a AND b OR c')
  expect(parsed('a AND (b OR c)')).toBe('a AND (b OR c)')
  expect(parsed('(a OR b) c')).toBe('(a OR b) AND c')
  expect(parsed('((a))')).toBe('a')
})

test('quoted phrases, and words with inner punctuation, are phrases', () => {
  expect(parsed('"old news" paris')).toBe('"old news" AND paris')
  expect(parseTextQuery('"Old  News,"')).toStrictEqual({ kind: 'term', text: 'Old  News,', words: ['old', 'news'] })
  expect(parseTextQuery("e-mail")).toStrictEqual({ kind: 'term', text: 'e-mail', words: ['e', 'mail'] })
  expect(parseTextQuery('#Acme')).toStrictEqual({ kind: 'term', text: '#Acme', words: ['acme'] })
  expect(parseTextQuery('Café')).toStrictEqual({ kind: 'term', text: 'Café', words: ['café'] })
})

test('NOT and a leading - negate a word, a phrase or a group', () => {
  expect(parsed('news -old')).toBe('news AND NOT old')
  expect(parsed('news NOT old')).toBe('news AND NOT old')
  expect(parsed('paris -"old news"')).toBe('paris AND NOT "old news"')
  expect(parsed('paris -(acme OR lyon)')).toBe('paris AND NOT (acme OR lyon)')
  expect(parsed('NOT paris')).toBe('NOT paris')
  expect(parsed('a OR NOT b')).toBe('a OR NOT b')
  expect(parsed('2026 - 2027'), 'a lone - is punctuation').toBe('2026 AND 2027')
})

test('operators are upper case; in lower case they are words; punctuation alone is nothing', () => {
  expect(parsed('paris and lyon')).toBe('paris AND and AND lyon')
  expect(parsed('Acme & Co')).toBe('Acme AND Co')
  expect(parsed('"AND"')).toBe('"AND"')
})

test('malformed or empty queries say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['"old news', /the quote at character 1 is not closed/],
    ['paris "old', /the quote at character 7 is not closed/],
    ['""', /the phrase at character 1 has no words/],
    ['&& !!', /no words to search for/],
    ['acme AND', /a word or "phrase" after AND is missing/],
    ['OR acme', /a word or "phrase" is missing before OR/],
    ['acme OR', /after OR is missing/],
    ['NOT', /after NOT is missing/],
    ['(acme', /a \( is not closed/],
    ['acme)', /a \) has no \( before it/],
    ['()', /missing before \)/]
  ]
  for (const [source, message] of cases) {
    assert.throws(() => parseTextQuery(source), (error: unknown) => error instanceof TextQueryError && message.test(error.message), source)
  }
  const many = Array.from({ length: MAX_TEXT_TERMS + 1 }, (_, i) => `w${i}`).join(' ')
  expect(() => parseTextQuery(many)).toThrow(/at most 32 words and phrases \(this query has 33\)/)
})

test('Elasticsearch gets match_phrase clauses in a bool query, each phrase as written', () => {
  expect(textQueryToElasticsearch(parseTextQuery('paris "Old News" -rumour OR lyon'), 'post.text')).toStrictEqual({
    bool: {
      should: [
        { bool: { must: [{ match_phrase: { 'post.text': { query: 'paris' } } }, { match_phrase: { 'post.text': { query: 'Old News' } } }, { bool: { must_not: [{ match_phrase: { 'post.text': { query: 'rumour' } } }] } }] } },
        { match_phrase: { 'post.text': { query: 'lyon' } } }
      ],
      minimum_should_match: 1
    }
  })
})

test('SQLite gets FTS phrases of plain words, joined by SQL AND/OR/NOT', () => {
  const { sql, params } = textQueryToSql(parseTextQuery('paris -("Old News" OR e-mail) NEAR*'), 'X(?)')
  expect(sql).toBe('(X(?) AND (NOT (X(?) OR X(?))) AND X(?))')
  expect(params).toStrictEqual(['"paris"', '"old news"', '"e mail"', '"near"'])
})
