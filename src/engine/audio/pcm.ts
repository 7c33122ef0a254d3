/**
 * Raw PCM helpers shared by the ffmpeg, stdin and WebSocket paths.
 *
 * Everything here works on caller-owned buffers: no sample buffers are allocated per call,
 * so a stream of any length runs in constant memory.
 */

/** Sample encodings that arrive as raw bytes. */
/** Root mean square of the samples, 0..1 (the input level; 0 for no samples). */
export function rms(pcm: Float32Array): number {
  if (pcm.length === 0) return 0
  let sum = 0
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i]
  return Math.min(1, Math.sqrt(sum / pcm.length))
}

export type PcmFormat = 'f32le' | 's16le'

export const bytesPerSample = (format: PcmFormat): number => (format === 'f32le' ? 4 : 2)

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Converts signed 16-bit little-endian samples to float32 in [-1, 1).
 * Reads floor(bytes.length / 2) samples (a trailing odd byte is ignored), works at any byte alignment.
 * Writes into `out` from `outOffset`; returns the number of samples written.
 */
export function s16leToFloat32(bytes: Uint8Array, out: Float32Array, outOffset = 0): number {
  const count = Math.min(bytes.length >> 1, out.length - outOffset)
  for (let i = 0, b = 0; i < count; i++, b += 2) {
    const v = bytes[b] | (bytes[b + 1] << 8)
    out[outOffset + i] = (v >= 0x8000 ? v - 0x10000 : v) / 32768
  }
  return count
}

/**
 * Copies float32 little-endian samples from raw bytes (any alignment) into `out` from `outOffset`.
 * Reads floor(bytes.length / 4) samples; returns the number of samples written.
 */
export function f32leToFloat32(bytes: Uint8Array, out: Float32Array, outOffset = 0): number {
  const count = Math.min(bytes.length >> 2, out.length - outOffset)
  if (hostIsLittleEndian) {
    new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, count * 4).set(bytes.subarray(0, count * 4))
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4)
    for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat32(i * 4, true)
  }
  return count
}

/**
 * Converts float samples to signed 16-bit little-endian bytes (clipped to [-1, 1], rounded).
 * Writes 2 * samples.length bytes into `out` from byte `outOffset`; returns the number of bytes written.
 */
export function float32ToS16le(samples: Float32Array, out: Uint8Array, outOffset = 0): number {
  const count = Math.min(samples.length, (out.length - outOffset) >> 1)
  for (let i = 0, b = outOffset; i < count; i++, b += 2) {
    const s = samples[i]
    const clipped = s >= 1 ? 1 : s <= -1 ? -1 : s || 0
    const v = Math.round(clipped < 0 ? clipped * 32768 : clipped * 32767)
    out[b] = v & 0xff
    out[b + 1] = (v >> 8) & 0xff
  }
  return count * 2
}

/** Writes float samples as float32 little-endian bytes into `out` from byte `outOffset`; returns bytes written. */
export function float32ToF32le(samples: Float32Array, out: Uint8Array, outOffset = 0): number {
  const count = Math.min(samples.length, (out.length - outOffset) >> 2)
  const view = new DataView(out.buffer, out.byteOffset + outOffset, count * 4)
  for (let i = 0; i < count; i++) view.setFloat32(i * 4, samples[i], true)
  return count * 4
}

/**
 * Turns byte chunks of arbitrary sizes (odd byte boundaries included) into fixed-size Float32Array chunks,
 * in a fixed amount of memory.
 *
 * Usage: `push(bytes)`, then call `next()` until it returns null, then push the next bytes.
 * The returned chunk is ONE reused buffer: it is valid until the next call to `next()`/`flush()`;
 * copy it (e.g. into a ring buffer) before asking for more. The assembler keeps a reference to the
 * pushed bytes only until `next()` returns null.
 */
export class ChunkAssembler {
  readonly chunkSamples: number
  readonly format: PcmFormat
  private readonly chunk: Float32Array
  private readonly bps: number
  private filled = 0
  private handedOut = false
  private readonly carry = new Uint8Array(4)
  private carryLength = 0
  private input: Uint8Array | undefined
  private inputPosition = 0

  constructor(chunkSamples: number, format: PcmFormat = 'f32le') {
    if (!Number.isInteger(chunkSamples) || chunkSamples <= 0) {
      throw new RangeError(`chunkSamples must be a positive integer, got ${chunkSamples}`)
    }
    this.chunkSamples = chunkSamples
    this.format = format
    this.bps = bytesPerSample(format)
    this.chunk = new Float32Array(chunkSamples)
  }

  /** Samples waiting in the partial chunk (not yet handed out). */
  get bufferedSamples(): number {
    return this.handedOut ? 0 : this.filled
  }

  /** Bytes of an incomplete sample held over to the next push. */
  get pendingBytes(): number {
    return this.carryLength
  }

  /** Hands over the next byte chunk. Call `next()` until null before pushing again. */
  push(bytes: Uint8Array): void {
    if (this.input && this.inputPosition < this.input.length) {
      throw new Error('ChunkAssembler.push() called before next() drained the previous bytes')
    }
    this.input = bytes
    this.inputPosition = 0
  }

  /** The next full chunk, or null when the pushed bytes are used up (the remainder waits for more). */
  next(): Float32Array | null {
    if (this.handedOut) {
      this.handedOut = false
      this.filled = 0
    }
    const input = this.input
    if (!input) return null
    const n = this.chunkSamples
    const bps = this.bps
    while (this.inputPosition < input.length) {
      if (this.carryLength > 0) {
        // Complete the sample split across pushes.
        const take = Math.min(bps - this.carryLength, input.length - this.inputPosition)
        this.carry.set(input.subarray(this.inputPosition, this.inputPosition + take), this.carryLength)
        this.carryLength += take
        this.inputPosition += take
        if (this.carryLength < bps) break
        this.decode(this.carry.subarray(0, bps), this.filled)
        this.filled += 1
        this.carryLength = 0
      } else {
        const whole = Math.floor((input.length - this.inputPosition) / bps)
        const count = Math.min(n - this.filled, whole)
        if (count > 0) {
          this.decode(input.subarray(this.inputPosition, this.inputPosition + count * bps), this.filled)
          this.filled += count
          this.inputPosition += count * bps
        }
        if (this.filled < n) {
          // Fewer than one sample left: keep its bytes for the next push.
          const rest = input.length - this.inputPosition
          this.carry.set(input.subarray(this.inputPosition), 0)
          this.carryLength = rest
          this.inputPosition = input.length
        }
      }
      if (this.filled === n) {
        this.handedOut = true
        return this.chunk
      }
    }
    this.input = undefined
    this.inputPosition = 0
    return null
  }

  /**
   * At end of stream: the last, partial chunk (a view of the reused buffer, shorter than chunkSamples),
   * or null if nothing is left. An incomplete trailing sample is dropped. Resets the assembler.
   */
  flush(): Float32Array | null {
    if (this.handedOut) {
      this.handedOut = false
      this.filled = 0
    }
    const filled = this.filled
    this.filled = 0
    this.carryLength = 0
    this.input = undefined
    this.inputPosition = 0
    return filled > 0 ? this.chunk.subarray(0, filled) : null
  }

  private decode(bytes: Uint8Array, offset: number): void {
    if (this.format === 'f32le') f32leToFloat32(bytes, this.chunk, offset)
    else s16leToFloat32(bytes, this.chunk, offset)
  }
}
