// The one per-call timeout (knowledge sources, Redis reads, the image budget):
// cockatiel's aggressive timeout, which aborts the operation's signal and
// gives up waiting even on an operation that ignores it, throwing the caller's
// coded error instead of cockatiel's.
import { TaskCancelledError, TimeoutStrategy, timeout } from 'cockatiel'

/** Runs `operation` for at most `ms`; past it the operation's signal aborts and `onTimeout()` is thrown. */
export async function withTimeout<T> (ms: number, operation: (signal: AbortSignal) => Promise<T>, onTimeout: () => Error): Promise<T> {
  try {
    return await timeout(ms, TimeoutStrategy.Aggressive).execute(async (_context, signal) => await operation(signal))
  } catch (error) {
    if (error instanceof TaskCancelledError) throw onTimeout()
    throw error
  }
}
