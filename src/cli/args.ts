// Command-line parsing shared by every `groundstream` command: node:util's
// parseArgs, strict, with its failures turned into one-line usage errors (exit
// 2), a did-you-mean for an unknown command or flag (Levenshtein distance,
// fastest-levenshtein), and integer flags checked with a message that says
// what was expected and what was given.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { distance } from 'fastest-levenshtein'
import { errorMessage } from '../errors/index.js'
import { usageError } from './common.js'

/** The known word closest to `input` when it is a likely typo (within 2 edits, or a third of its length; Levenshtein distance) or the only word it starts, else null. */
export function didYouMean (input: string, known: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Number.POSITIVE_INFINITY
  for (const word of known) {
    const d = distance(input, word)
    if (d < bestDistance) {
      best = word
      bestDistance = d
    }
  }
  if (best !== null && bestDistance > 0 && bestDistance <= Math.max(2, Math.floor(input.length / 3))) return best
  // A unique completion of a start (`--batch` for `--batch-size`).
  const completions = input.length >= 3 ? known.filter((word) => word.startsWith(input) && word !== input) : []
  return completions.length === 1 ? completions[0] as string : null
}

/** "unknown command 'rn'; did you mean run?" (the suggestion only when there is one). */
export function unknownWord (kind: 'command' | 'option', input: string, suggestion: string | null): string {
  return `unknown ${kind} '${input}'${suggestion === null ? '' : `; did you mean ${suggestion}?`}`
}

type Options = NonNullable<ParseArgsConfig['options']>
type Values<T extends Options> = ReturnType<typeof parseArgs<{ args: string[], options: T, strict: true }>>['values']

/** A negative number (`-3`, `-0.5`) as the value of a string flag: parseArgs would take it for a flag. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/u

/** `--limit -3` as `--limit=-3`, so the flag's own check says what is wrong with -3. */
function joinNegativeValues (argv: readonly string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    const next = argv[i + 1]
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : null
    if (name !== null && Object.hasOwn(options, name) && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${token}=${next}`)
      i++
    } else {
      out.push(token)
    }
  }
  return out
}

/**
 * parseArgs (strict, no positionals) whose failures are one-line usage
 * errors; an unknown flag near a known one says which.
 */
export function parseFlags<T extends Options> (argv: string[], options: T): Values<T> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true }).values
  } catch (error) {
    const message = errorMessage(error).replace(/\s*\n\s*/gu, ' ')
    const unknown = /^Unknown option '(--?[^']+)'/u.exec(message)?.[1]
    if (unknown === undefined) throw usageError(message)
    const near = didYouMean(unknown.replace(/^-+/u, ''), Object.keys(options))
    throw usageError(unknownWord('option', unknown, near === null ? null : `--${near}`))
  }
}

/** What an integer flag with these bounds must be, in words. */
function integerKind (min: number): string {
  if (min === 1) return 'a positive integer'
  if (min === 0) return 'an integer, 0 or more'
  return `an integer of at least ${min}`
}

/** A flag that must be an integer in [min, max]: "--batch-size must be a positive integer, got abc". */
export function intFlag (name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  const given = raw === '' ? "''" : raw
  if (!/^-?\d+$/u.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw usageError(`--${name} must be ${integerKind(min)}, got ${given}`)
  }
  if (value > max) throw usageError(`--${name} must be at most ${max}, got ${given}`)
  return value
}

/** A flag that must be a number from 0 to 1 (a probability threshold). */
export function fractionFlag (name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (raw.trim() === '' || !(value >= 0 && value <= 1)) throw usageError(`--${name} must be a number from 0 to 1, got ${raw === '' ? "''" : raw}`)
  return value
}
