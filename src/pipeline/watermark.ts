// Per-partition commit watermark. Offsets are tracked in the order they were
// read and completed in any order; the committable offset is one past the
// longest completed prefix, so offset N is committed only when every tracked
// offset <= N has been indexed or dead-lettered.
import { GroundstreamError } from '../errors/index.js'

export class PartitionWatermark {
  private readonly pending: bigint[] = []
  private head = 0
  private readonly completed = new Set<bigint>()
  private lastTracked: bigint | null = null
  private frontier: bigint | null = null

  /** Registers an offset read from the partition; offsets must increase. */
  track (offset: bigint | string): void {
    const value = BigInt(offset)
    if (this.lastTracked !== null && value <= this.lastTracked) {
      throw new GroundstreamError('GS_ERR_KAFKA', `offset ${value} tracked after ${this.lastTracked}`)
    }
    this.lastTracked = value
    this.pending.push(value)
  }

  complete (offset: bigint | string): void {
    const value = BigInt(offset)
    this.completed.add(value)
    while (this.head < this.pending.length && this.completed.has(this.pending[this.head] as bigint)) {
      const done = this.pending[this.head] as bigint
      this.completed.delete(done)
      this.frontier = done
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head)
      this.head = 0
    }
  }

  /** Highest offset N such that every tracked offset <= N is complete, or null. */
  get lastDone (): bigint | null { return this.frontier }

  /** The offset to commit (Kafka semantics: next to read), or null when nothing is done. */
  get commitOffset (): string | null {
    return this.frontier === null ? null : (this.frontier + 1n).toString()
  }

  get pendingCount (): number { return this.pending.length - this.head }
}
