// Seeded, deterministic weight initialisation: same seed, same bytes.

/** mulberry32, floats in [0, 1): the engine's seeded generator, so every seeded thing in the project draws the same way. */
export {seededRandom as mulberry32} from '../../src/engine/decode/sampling.js'
import {seededRandom as mulberry32} from '../../src/engine/decode/sampling.js'

/** Hashes a string to 32 bits (FNV-1a), so each tensor gets its own stream from (seed, name). */
function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * Hands out weights. Every tensor is drawn from its own stream keyed by (seed, name), so adding
 * or reordering tensors never changes the values of the others.
 */
export class WeightFactory {
  constructor(private readonly seed: number) {}

  /** Normal(0, std) values, Box-Muller over a per-name mulberry32 stream. */
  normal(name: string, size: number, std: number): Float32Array {
    const rand = mulberry32(hash32(`${this.seed}:${name}`) ^ Math.imul(this.seed, 0x9e3779b1))
    const out = new Float32Array(size)
    for (let i = 0; i < size; i += 2) {
      const u1 = 1 - rand() // (0, 1]
      const u2 = rand()
      const r = Math.sqrt(-2 * Math.log(u1)) * std
      out[i] = r * Math.cos(2 * Math.PI * u2)
      if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * u2)
    }
    return out
  }

  /** A dense weight stored [fanIn, fanOut] (ONNX MatMul layout), std 1/sqrt(fanIn). */
  linear(name: string, fanIn: number, fanOut: number): Float32Array {
    return this.normal(name, fanIn * fanOut, 1 / Math.sqrt(fanIn))
  }

  /** A Conv1d weight [out, in, kernel], std 1/sqrt(in*kernel). */
  conv(name: string, out: number, inp: number, kernel: number): Float32Array {
    return this.normal(name, out * inp * kernel, 1 / Math.sqrt(inp * kernel))
  }

  /** An embedding table [rows, dim], std 0.02 (Whisper's init_std). */
  embedding(name: string, rows: number, dim: number): Float32Array {
    return this.normal(name, rows * dim, 0.02)
  }

  /** A bias vector; zero at initialisation. */
  bias(_name: string, size: number): Float32Array {
    return zeros(size)
  }

  /** A LayerNorm scale; one at initialisation. */
  gamma(_name: string, size: number): Float32Array {
    return ones(size)
  }
}

export const zeros = (size: number): Float32Array => new Float32Array(size)
export const ones = (size: number): Float32Array => new Float32Array(size).fill(1)

/** Whisper's sinusoidal position table [length, channels]: sin half then cos half. */
export function sinusoids(length: number, channels: number, maxTimescale = 10000): Float32Array {
  const half = channels / 2
  const increment = Math.log(maxTimescale) / (half - 1)
  const out = new Float32Array(length * channels)
  for (let t = 0; t < length; t++) {
    for (let c = 0; c < half; c++) {
      const scaled = t * Math.exp(-increment * c)
      out[t * channels + c] = Math.sin(scaled)
      out[t * channels + half + c] = Math.cos(scaled)
    }
  }
  return out
}
