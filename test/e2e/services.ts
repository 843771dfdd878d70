// Where the real services are (scripts/services.sh exports these); tests that
// need one skip with a message when it is not configured.
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? ''
export const ELASTICSEARCH_URL = process.env.ELASTICSEARCH_URL ?? ''

export function skipUnless (value: string, name: string): string | false {
  return value === '' ? `${name} not set: start services with scripts/services.sh start (npm test does)` : false
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
