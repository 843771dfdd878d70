// A bounded FIFO between two pipeline steps: `put` waits while it is full,
// `take` waits while it is empty, `close` lets takers drain what is left.
import { GroundstreamError } from '../errors/index.js'

export class AsyncQueue<T> {
  readonly capacity: number
  private readonly items: T[] = []
  private readonly takers: Array<(value: T | undefined) => void> = []
  private readonly putters: Array<() => void> = []
  private closed = false

  constructor (capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new GroundstreamError('GS_ERR_CONFIG', `queue capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
  }

  get size (): number { return this.items.length }
  get isClosed (): boolean { return this.closed }

  async put (item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => { this.putters.push(resolve) })
    }
    if (this.closed) throw new GroundstreamError('GS_ERR_SHUTDOWN', 'queue is closed')
    const taker = this.takers.shift()
    if (taker !== undefined) taker(item)
    else this.items.push(item)
  }

  /** The next item, or undefined once the queue is closed and empty. */
  async take (): Promise<T | undefined> {
    if (this.items.length > 0) {
      const item = this.items.shift() as T
      this.putters.shift()?.()
      return item
    }
    if (this.closed) return undefined
    return await new Promise<T | undefined>((resolve) => { this.takers.push(resolve) })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    for (const taker of this.takers.splice(0)) taker(undefined)
    for (const putter of this.putters.splice(0)) putter()
  }
}
