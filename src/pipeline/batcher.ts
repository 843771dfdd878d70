// Groups items into batches by size and by age: a batch leaves when it is
// full or when its oldest item has waited maxWaitMs, so latency stays bounded
// at low rates and batches are full at high rates.
import { GroundstreamError } from '../errors/index.js'

export interface MicroBatcherOptions<T> {
  maxBatchSize: number
  maxWaitMs: number
  /** Receives each batch; the batcher does not wait for it. */
  emit: (batch: T[]) => void
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export class MicroBatcher<T> {
  private readonly options: MicroBatcherOptions<T>
  private pending: T[] = []
  private timer: unknown = null

  constructor (options: MicroBatcherOptions<T>) {
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) {
      throw new GroundstreamError('GS_ERR_CONFIG', `maxBatchSize must be a positive integer, got ${options.maxBatchSize}`)
    }
    if (!(options.maxWaitMs >= 0)) {
      throw new GroundstreamError('GS_ERR_CONFIG', `maxWaitMs must be >= 0, got ${options.maxWaitMs}`)
    }
    this.options = options
  }

  get size (): number { return this.pending.length }

  add (item: T): void {
    this.pending.push(item)
    if (this.pending.length >= this.options.maxBatchSize) {
      this.flush()
    } else if (this.pending.length === 1) {
      if (this.options.maxWaitMs === 0) { this.flush(); return }
      const setTimer = this.options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
      this.timer = setTimer(() => { this.timer = null; this.flush() }, this.options.maxWaitMs)
    }
  }

  /** Emits whatever is pending now. */
  flush (): void {
    if (this.timer !== null) {
      const clearTimer = this.options.clearTimer ?? ((handle) => { clearTimeout(handle as NodeJS.Timeout) })
      clearTimer(this.timer)
      this.timer = null
    }
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatchSize)
      this.options.emit(batch)
    }
  }
}
