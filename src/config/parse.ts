// Pieces every configuration in the project is read with: environment
// variables mapped onto paths, a strict schema parse that lists every problem
// in one error, and a deeply frozen result.
import type { z } from 'zod'
import { GroundstreamError } from '../errors/index.js'
import { formatIssues } from '../shared/index.js'

export type Coerce = (raw: string) => unknown
export type EnvTable = Readonly<Record<string, readonly [readonly string[], Coerce]>>

export const asList: Coerce = (raw) => raw.split(',').map((part) => part.trim()).filter((part) => part.length > 0)
export const asNumber: Coerce = (raw) => (raw.trim() === '' ? raw : Number(raw))
export const asBoolean: Coerce = (raw) => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : raw)
export const asString: Coerce = (raw) => raw

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function setPath (target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (!isPlainObject(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

/** The config layer the set (non-empty) variables of `table` describe. */
export function configFromEnvTable (table: EnvTable, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, [path, coerce]] of Object.entries(table)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    setPath(out, path, coerce(raw))
  }
  return out
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Parses with `schema`; every problem is listed in one GS_ERR_CONFIG error. */
export function parseStrict<S extends z.ZodType> (schema: S, input: unknown, what: string): Readonly<z.infer<S>> {
  const result = schema.safeParse(input ?? {})
  if (!result.success) {
    const problems = formatIssues(result.error.issues)
    throw new GroundstreamError('GS_ERR_CONFIG', `invalid ${what}:\n  ${problems.join('\n  ')}`, { details: { problems } })
  }
  return deepFreeze(result.data)
}
