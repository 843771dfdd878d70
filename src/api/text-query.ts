// The post-text search language (`text=`): words, "quoted phrases", AND, OR,
// NOT (or a leading -), parentheses; words side by side must all match.
// OR binds looser than AND: `a b OR c` is `(a AND b) OR c`. Operators are
// upper case; `and`, `or`, `not` in lower case are words. Characters that are
// neither letters nor digits only separate words, as in both indexes.
// The parsed query is compiled by each backend (Elasticsearch match_phrase
// in a bool query, SQLite FTS4 phrases joined by SQL AND/OR/NOT), so the two
// answer the same.

/** One word or phrase: `text` as written (Elasticsearch analyses it itself), `words` lower-cased letters-and-digits runs (SQLite's tokenizer). */
export interface TextTerm { kind: 'term', text: string, words: string[] }
export type TextQuery =
  | TextTerm
  | { kind: 'and' | 'or', items: TextQuery[] }
  | { kind: 'not', item: TextQuery }

/** Most words and phrases in one query: each is one index lookup. */
export const MAX_TEXT_TERMS = 32

export class TextQueryError extends Error {
  override name = 'TextQueryError'
}

type Token =
  | { kind: 'term', term: TextTerm }
  | { kind: 'op', op: 'AND' | 'OR' | 'NOT' | '-' | '(' | ')' }

const OPERATORS = new Set(['AND', 'OR', 'NOT'])

function termOf (text: string): TextTerm {
  return { kind: 'term', text, words: text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [] }
}

function tokenize (source: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < source.length) {
    const char = source[at] ?? ''
    if (/\s/u.test(char)) { at++; continue }
    if (char === '(' || char === ')') { tokens.push({ kind: 'op', op: char }); at++; continue }
    if (char === '"') {
      const end = source.indexOf('"', at + 1)
      if (end === -1) throw new TextQueryError(`the quote at character ${at + 1} is not closed`)
      const term = termOf(source.slice(at + 1, end))
      if (term.words.length === 0) throw new TextQueryError(`the phrase at character ${at + 1} has no words`)
      tokens.push({ kind: 'term', term })
      at = end + 1
      continue
    }
    // A leading - negates what follows it directly (a word, a phrase or a parenthesis).
    if (char === '-' && at + 1 < source.length && !/\s/u.test(source[at + 1] ?? ' ')) {
      tokens.push({ kind: 'op', op: '-' })
      at++
      continue
    }
    const match = /^[^\s()"]+/u.exec(source.slice(at))
    const word = match?.[0] ?? char
    at += word.length
    if (OPERATORS.has(word)) tokens.push({ kind: 'op', op: word as 'AND' | 'OR' | 'NOT' })
    else {
      const term = termOf(word)
      // Punctuation alone (`&`, `+`) is no word in either index.
      if (term.words.length > 0) tokens.push({ kind: 'term', term })
    }
  }
  return tokens
}

class Parser {
  private at = 0
  constructor (private readonly tokens: Token[]) {}

  private peek (): Token | undefined {
    return this.tokens[this.at]
  }

  private isOp (op: string): boolean {
    const token = this.peek()
    return token?.kind === 'op' && token.op === op
  }

  parse (): TextQuery {
    const query = this.or()
    const left = this.peek()
    if (left !== undefined) throw new TextQueryError(left.kind === 'op' && left.op === ')' ? 'a ) has no ( before it' : 'unexpected text after the query')
    return query
  }

  private or (): TextQuery {
    const items = [this.and()]
    while (this.isOp('OR')) {
      this.at++
      items.push(this.and('OR'))
    }
    return items.length === 1 ? items[0] as TextQuery : { kind: 'or', items }
  }

  private and (after?: string): TextQuery {
    const items = [this.unary(after)]
    for (;;) {
      if (this.isOp('AND')) {
        this.at++
        items.push(this.unary('AND'))
        continue
      }
      const next = this.peek()
      if (next === undefined || (next.kind === 'op' && (next.op === 'OR' || next.op === ')'))) break
      items.push(this.unary())
    }
    return items.length === 1 ? items[0] as TextQuery : { kind: 'and', items }
  }

  private unary (after?: string): TextQuery {
    if (this.isOp('NOT') || this.isOp('-')) {
      const op = (this.peek() as { op: string }).op
      this.at++
      return { kind: 'not', item: this.unary(op) }
    }
    return this.primary(after)
  }

  private primary (after?: string): TextQuery {
    const token = this.peek()
    const needs = after === undefined ? 'a word or "phrase"' : `a word or "phrase" after ${after}`
    if (token === undefined) throw new TextQueryError(`${needs} is missing`)
    if (token.kind === 'term') {
      this.at++
      return token.term
    }
    if (token.op === '(') {
      this.at++
      const inner = this.or()
      if (!this.isOp(')')) throw new TextQueryError('a ( is not closed')
      this.at++
      return inner
    }
    throw new TextQueryError(token.op === ')' ? `${needs} is missing before )` : `${needs} is missing before ${token.op}`)
  }
}

function countTerms (query: TextQuery): number {
  if (query.kind === 'term') return 1
  if (query.kind === 'not') return countTerms(query.item)
  return query.items.reduce((sum, item) => sum + countTerms(item), 0)
}

/** Parses a post-text query; a query that is empty or malformed throws a TextQueryError saying why. */
export function parseTextQuery (source: string): TextQuery {
  const tokens = tokenize(source)
  if (tokens.length === 0) throw new TextQueryError('the query has no words to search for')
  const query = new Parser(tokens).parse()
  const terms = countTerms(query)
  if (terms > MAX_TEXT_TERMS) throw new TextQueryError(`at most ${MAX_TEXT_TERMS} words and phrases (this query has ${terms})`)
  return query
}

/** The query as Elasticsearch bool/match_phrase clauses on `field`. */
export function textQueryToElasticsearch (query: TextQuery, field: string): Record<string, unknown> {
  switch (query.kind) {
    case 'term': return { match_phrase: { [field]: { query: query.text } } }
    case 'and': return { bool: { must: query.items.map((item) => textQueryToElasticsearch(item, field)) } }
    case 'or': return { bool: { should: query.items.map((item) => textQueryToElasticsearch(item, field)), minimum_should_match: 1 } }
    case 'not': return { bool: { must_not: [textQueryToElasticsearch(query.item, field)] } }
  }
}

/**
 * The query as an SQL condition, each word or phrase through `lookup` (an SQL
 * condition taking one FTS MATCH parameter). The parameters are FTS phrases
 * of lower-cased letters and digits: no FTS operator can hide in them.
 */
export function textQueryToSql (query: TextQuery, lookup: string): { sql: string, params: string[] } {
  switch (query.kind) {
    case 'term': return { sql: lookup, params: [`"${query.words.join(' ')}"`] }
    case 'not': {
      const inner = textQueryToSql(query.item, lookup)
      return { sql: `(NOT ${inner.sql})`, params: inner.params }
    }
    case 'and':
    case 'or': {
      const parts = query.items.map((item) => textQueryToSql(item, lookup))
      return { sql: `(${parts.map((p) => p.sql).join(query.kind === 'and' ? ' AND ' : ' OR ')})`, params: parts.flatMap((p) => p.params) }
    }
  }
}

/** The query written back in the language (normalised: explicit operators, parentheses where needed). */
export function formatTextQuery (query: TextQuery): string {
  switch (query.kind) {
    case 'term': return query.words.length === 1 && !/["()\s]/u.test(query.text) && !OPERATORS.has(query.text) ? query.text : `"${query.text}"`
    case 'not': return `NOT ${query.item.kind === 'term' || query.item.kind === 'not' ? formatTextQuery(query.item) : `(${formatTextQuery(query.item)})`}`
    case 'and': return query.items.map((item) => (item.kind === 'or' ? `(${formatTextQuery(item)})` : formatTextQuery(item))).join(' AND ')
    case 'or': return query.items.map(formatTextQuery).join(' OR ')
  }
}
