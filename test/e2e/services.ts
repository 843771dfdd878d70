// Where the real services are (scripts/services.sh exports these). A test
// that needs one follows test/support/skip.ts's rule: locally it skips with a
// message when the service is not configured; under CI (CI=true) it fails.
import { inCi } from '../support/skip.js'

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? ''
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? ''

export function missingServiceMessage (name: string): string {
  return `${name} not set: start services with scripts/services.sh start (npm test does)`
}

/**
 * The skip reason for a service `name` whose setting is `value`: false when
 * set. Under CI a missing service throws instead (in a test: that test fails;
 * at a file's top level: the file fails), never a silent skip.
 */
export function skipUnless (value: string, name: string, env: Readonly<Record<string, string | undefined>> = process.env): string | false {
  if (value !== '') return false
  const message = missingServiceMessage(name)
  if (inCi(env)) throw new Error(`${message} (CI is set, so a test that needs a service fails when it is missing)`)
  return message
}

export function uniqueName (prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export async function waitFor<T> (what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown = null
  for (;;) {
    try {
      const value = await fn()
      if (value !== null && value !== undefined && value !== false) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === null ? '' : `: ${String(last)}`}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
