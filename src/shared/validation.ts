// The one way a schema's complaints become text: `path: message` per problem,
// `(root)` (or the caller's word for it) when the whole value is at fault.
// Config errors, API 400s, dead-letter reasons and catalogue errors all read
// alike, so an operator learns one shape.
import type { z } from 'zod'

export interface FormatIssuesOptions {
  /** Path segments in front of every issue's own path (`['knowledge']` -> `knowledge.redisUrl`). */
  at?: readonly string[]
  /** What an empty path is called; `(root)` unless said. */
  root?: string
  /** Unknown keys as one problem naming them (`unknown parameter(s): a, b`), instead of the schema's sentence. */
  unknownKeys?: (keys: readonly string[]) => string
}

/** One line per problem the schema found. */
export function formatIssues (issues: readonly z.core.$ZodIssue[], options: FormatIssuesOptions = {}): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys' && options.unknownKeys !== undefined) return options.unknownKeys(issue.keys)
    const where = [...(options.at ?? []), ...issue.path.map(String)].join('.')
    return `${where.length > 0 ? where : options.root ?? '(root)'}: ${issue.message}`
  })
}
