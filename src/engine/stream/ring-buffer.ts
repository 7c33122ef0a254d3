/**
 * A fixed-capacity audio buffer, allocated once, that holds the not-yet-committed window.
 *
 * Data stay contiguous from index 0: `view()` is a zero-copy subarray, and `trimTo()`
 * compacts with one `copyWithin` (a memmove, no allocation). Positions are absolute
 * integer sample offsets from the start of the stream.
 *
 * Rule for `append`: a chunk must fit in `free`. Appending more throws a RangeError;
 * the owner (the Streamer) appends what fits and makes room by committing and trimming
 * before appending the rest. Audio is never dropped here.
 */
export class RingBuffer {
  readonly capacity: number
  private readonly data: Float32Array
  private start = 0
  private size = 0

  constructor(capacity: number, startSample = 0) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    this.data = new Float32Array(capacity)
    this.start = startSample
  }

  /** Number of samples held. */
  get length(): number {
    return this.size
  }

  /** Absolute offset of the first sample held. */
  get startSample(): number {
    return this.start
  }

  /** Absolute offset one past the last sample held. */
  get endSample(): number {
    return this.start + this.size
  }

  get free(): number {
    return this.capacity - this.size
  }

  /** The backing array (exposed for tests that check it is never replaced). */
  get storage(): Float32Array {
    return this.data
  }

  /** Copies `chunk` in after the last sample. Throws if it does not fit (see the class comment). */
  append(chunk: Float32Array): void {
    if (chunk.length > this.free) {
      throw new RangeError(`ring buffer overflow: ${chunk.length} samples, ${this.free} free; commit and trim first`)
    }
    this.data.set(chunk, this.size)
    this.size += chunk.length
  }

  /** Drops every sample before `absoluteSample` (clamped to what is held). */
  trimTo(absoluteSample: number): void {
    const drop = Math.min(Math.max(0, Math.floor(absoluteSample) - this.start), this.size)
    if (drop === 0) return
    if (drop < this.size) this.data.copyWithin(0, drop, this.size)
    this.size -= drop
    this.start += drop
  }

  /** Drops everything and moves the start to `absoluteSample` (only forward). */
  clear(absoluteSample = this.endSample): void {
    this.start = Math.max(this.endSample, absoluteSample)
    this.size = 0
  }

  /**
   * A zero-copy view of [from, to) in absolute samples (defaults: everything held).
   * Valid until the next `trimTo`/`clear`; appends do not disturb it.
   */
  view(from = this.start, to = this.endSample): Float32Array {
    const a = Math.min(Math.max(from - this.start, 0), this.size)
    const b = Math.min(Math.max(to - this.start, a), this.size)
    return this.data.subarray(a, b)
  }
}
