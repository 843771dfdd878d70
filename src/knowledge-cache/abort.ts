// What a knowledge lookup throws when its caller's signal ends it: the
// caller's own coded reason when it gave one, else a timeout (the per-source
// timeout and the stage deadline abort without one), so the stage counts it as
// one and never retries it.
import { GroundstreamError } from '../errors/index.js'

export function abortReason (signal: AbortSignal | undefined): GroundstreamError {
  const reason: unknown = signal?.reason
  if (reason instanceof GroundstreamError) return reason
  return new GroundstreamError('GS_ERR_KNOWLEDGE_TIMEOUT', 'knowledge lookup aborted', { cause: reason, retriable: false })
}
