// The post-text search language (src/api/text-query.ts): what it parses,
// what it refuses and why, and what each backend is asked; the answers of
// both backends are checked in test/api/api.test.ts.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { MAX_TEXT_TERMS, TextQueryError, formatTextQuery, parseTextQuery, textQueryToElasticsearch, textQueryToSql } from '../../src/api/text-query.js'

const parsed = (source: string): string => formatTextQuery(parseTextQuery(source))

test('words side by side must all match; OR binds looser than AND', () => {
  assert.equal(parsed('acme'), 'acme')
  assert.equal(parsed('new store'), 'new AND store')
  assert.equal(parsed('a b OR c'), 'a AND b OR c')
  assert.equal(parsed('a AND (b OR c)'), 'a AND (b OR c)')
  assert.equal(parsed('(a OR b) c'), '(a OR b) AND c')
  assert.equal(parsed('((a))'), 'a')
})

test('quoted phrases, and words with inner punctuation, are phrases', () => {
  assert.equal(parsed('"old news" paris'), '"old news" AND paris')
  assert.deepEqual(parseTextQuery('"Old  News,"'), { kind: 'term', text: 'Old  News,', words: ['old', 'news'] })
  assert.deepEqual(parseTextQuery("e-mail"), { kind: 'term', text: 'e-mail', words: ['e', 'mail'] })
  assert.deepEqual(parseTextQuery('#Acme'), { kind: 'term', text: '#Acme', words: ['acme'] })
  assert.deepEqual(parseTextQuery('Café'), { kind: 'term', text: 'Café', words: ['café'] })
})

test('NOT and a leading - negate a word, a phrase or a group', () => {
  assert.equal(parsed('news -old'), 'news AND NOT old')
  assert.equal(parsed('news NOT old'), 'news AND NOT old')
  assert.equal(parsed('paris -"old news"'), 'paris AND NOT "old news"')
  assert.equal(parsed('paris -(acme OR lyon)'), 'paris AND NOT (acme OR lyon)')
  assert.equal(parsed('NOT paris'), 'NOT paris')
  assert.equal(parsed('a OR NOT b'), 'a OR NOT b')
  assert.equal(parsed('2026 - 2027'), '2026 AND 2027', 'a lone - is punctuation')
})

test('operators are upper case; in lower case they are words; punctuation alone is nothing', () => {
  assert.equal(parsed('paris and lyon'), 'paris AND and AND lyon')
  assert.equal(parsed('Acme & Co'), 'Acme AND Co')
  assert.equal(parsed('"AND"'), '"AND"')
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
  assert.throws(() => parseTextQuery(many), /at most 32 words and phrases \(this query has 33\)/)
})

test('Elasticsearch gets match_phrase clauses in a bool query, each phrase as written', () => {
  assert.deepEqual(textQueryToElasticsearch(parseTextQuery('paris "Old News" -rumour OR lyon'), 'post.text'), {
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
  assert.equal(sql, '(X(?) AND (NOT (X(?) OR X(?))) AND X(?))')
  assert.deepEqual(params, ['"paris"', '"old news"', '"e mail"', '"near"'])
})
