import type {RawData} from 'ws'

/** Block that tiny frames waiting in one AudioBatch are copied into. */
const BATCH_BLOCK_BYTES = 64 * 1024

/**
 * Binary frames that arrive while the session's queue is busy (behind a start, a flush, or the frames before
 * them in the same burst), handled as one task. After the first, frames are copied into shared blocks, so a
 * flood of tiny or empty frames costs its bytes (what the backlog cap counts), not a Buffer, closure and
 * promise each (about 400 bytes a frame, which let 1,000,000 one-byte frames hold 430 MB).
 */
export class AudioBatch {
  bytes = 0
  private readonly parts: Buffer[] = []
  private block: Buffer | undefined
  private used = 0

  add(frame: Buffer): void {
    if (frame.length === 0) return
    this.bytes += frame.length
    if (this.parts.length === 0 && !this.block) {
      this.parts.push(frame) // the usual case, one frame per task: kept as it is
      return
    }
    if (!this.block || this.used + frame.length > this.block.length) {
      this.seal()
      this.block = Buffer.allocUnsafe(Math.max(BATCH_BLOCK_BYTES, frame.length))
    }
    frame.copy(this.block, this.used)
    this.used += frame.length
  }

  /** The frames' bytes, in order. */
  take(): Buffer[] {
    this.seal()
    return this.parts
  }

  private seal(): void {
    if (this.block && this.used > 0) this.parts.push(this.block.subarray(0, this.used))
    this.block = undefined
    this.used = 0
  }
}

export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
