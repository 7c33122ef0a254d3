/**
 * Mixed-radix FFT (radix 4, 2, 3, 5, and a generic radix for any other prime factor):
 * KISS FFT's decimation in time, run iteratively (digit-reversed load, then one pass per
 * radix stage with that stage's twiddles stored contiguously). All tables and scratch are
 * allocated in the constructor; transforms allocate nothing.
 *
 * Cost is O(n · Σ factors): n log n for the sizes Whisper uses (400 = 4·4·5·5, 480, 512);
 * a size with a large prime factor p costs O(n·p).
 */

import {bfly2, bfly3, bfly4, bfly5} from './fft-butterflies.js'

/** Factors n as KISS FFT does: 4s first, then 2, then odd numbers upwards. */
export function factorize(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT size must be a positive integer, got ${n}`)
  const factors: number[] = []
  let p = 4
  let rest = n
  while (rest > 1) {
    while (rest % p !== 0) {
      p = p === 4 ? 2 : p === 2 ? 3 : p + 2
      if (p * p > rest) p = rest
    }
    factors.push(p)
    rest /= p
  }
  return factors
}

/** One radix stage: `count` butterflies of radix `p` over blocks of p·m points. */
interface Stage {
  readonly p: number
  readonly m: number
  readonly count: number
  /** Twiddles w^(q·u·count), laid out [u][q−1][re, im] for u < m, 1 ≤ q < p. */
  readonly tw: Float64Array
}

/** Complex FFT of a fixed size on interleaved [re, im, re, im, …] Float64Arrays. */
export class ComplexFft {
  readonly size: number
  /**
   * Input order of the first stage: slot j of the working buffer takes input point
   * permutation[j] (KISS FFT's decimation-in-time digit reversal).
   */
  readonly permutation: Int32Array
  private readonly stages: readonly Stage[] // innermost (applied first) first
  private readonly twRe: Float64Array
  private readonly twIm: Float64Array
  private readonly scratch: Float64Array // generic butterfly: 2·maxFactor

  constructor(size: number) {
    this.size = size
    const fs = factorize(size)
    this.twRe = new Float64Array(size)
    this.twIm = new Float64Array(size)
    for (let k = 0; k < size; k++) {
      const phase = (-2 * Math.PI * k) / size
      this.twRe[k] = Math.cos(phase)
      this.twIm[k] = Math.sin(phase)
    }
    this.scratch = new Float64Array(2 * Math.max(1, ...fs))

    const stages: Stage[] = []
    let m = size
    let count = 1
    for (const p of fs) {
      m /= p
      const tw = new Float64Array(2 * m * (p - 1))
      for (let u = 0; u < m; u++)
        for (let q = 1; q < p; q++) {
          const k = (q * u * count) % size
          tw[2 * (u * (p - 1) + q - 1)] = this.twRe[k]
          tw[2 * (u * (p - 1) + q - 1) + 1] = this.twIm[k]
        }
      stages.push({p, m, count, tw})
      count *= p
    }
    this.stages = stages.reverse()

    this.permutation = new Int32Array(size)
    const place = (o: number, from: number, stride: number, level: number): void => {
      const {p, m} = stages[stages.length - 1 - level] ?? {p: 1, m: 1}
      if (m === 1) for (let j = 0; j < p; j++) this.permutation[o + j] = from + j * stride
      else for (let q = 0; q < p; q++) place(o + q * m, from + q * stride, stride * p, level + 1)
    }
    place(0, 0, 1, 0)
  }

  /** out = DFT(input), X[k] = Σ x[j]·e^(−2πi·jk/n). Both interleaved, length 2n, distinct buffers. */
  transform(input: Float64Array, out: Float64Array): void {
    const {permutation} = this
    for (let j = 0; j < this.size; j++) {
      const s = permutation[j]
      out[2 * j] = input[2 * s]
      out[2 * j + 1] = input[2 * s + 1]
    }
    this.transformPermuted(out)
  }

  /** In place: `x` holds the input already reordered by `permutation`; leaves the DFT in natural order. */
  transformPermuted(x: Float64Array): void {
    const {stages} = this
    for (let i = 0; i < stages.length; i++) {
      const {p, m, count, tw} = stages[i]
      const end = 2 * p * m * count
      switch (p) {
        case 2: bfly2(x, end, m, tw); break
        case 3: bfly3(x, end, m, tw); break
        case 4: bfly4(x, end, m, tw); break
        case 5: bfly5(x, end, m, tw); break
        default:
          for (let o = 0; o < end; o += 2 * p * m) this.bflyGeneric(x, o, count, m, p)
      }
    }
  }

  private bflyGeneric(x: Float64Array, o: number, fstride: number, m: number, p: number): void {
    const {twRe, twIm, scratch, size} = this
    for (let u = 0; u < m; u++) {
      for (let q = 0, k = o + 2 * u; q < p; q++, k += 2 * m) {
        scratch[2 * q] = x[k]
        scratch[2 * q + 1] = x[k + 1]
      }
      for (let q1 = 0, k = u; q1 < p; q1++, k += m) {
        const idx = o + 2 * k
        let accR = scratch[0], accI = scratch[1]
        let tw = 0
        for (let q = 1; q < p; q++) {
          tw += fstride * k
          if (tw >= size) tw %= size
          accR += scratch[2 * q] * twRe[tw] - scratch[2 * q + 1] * twIm[tw]
          accI += scratch[2 * q] * twIm[tw] + scratch[2 * q + 1] * twRe[tw]
        }
        x[idx] = accR
        x[idx + 1] = accI
      }
    }
  }
}

/**
 * FFT of real input of a fixed size n, returning the n/2+1 non-negative-frequency bins
 * (like numpy.fft.rfft). Even n packs the input into a complex FFT of size n/2.
 */
export class RealFft {
  readonly size: number
  /** Number of output bins: floor(n/2) + 1. */
  readonly bins: number
  private readonly half: ComplexFft | undefined
  private readonly full: ComplexFft | undefined
  private readonly spectrum: Float64Array
  private readonly superRe: Float64Array
  private readonly superIm: Float64Array

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2) throw new RangeError(`RealFft size must be an integer >= 2, got ${size}`)
    this.size = size
    this.bins = Math.floor(size / 2) + 1
    const even = size % 2 === 0
    const inner = even ? size / 2 : size
    if (even) this.half = new ComplexFft(inner)
    else this.full = new ComplexFft(inner)
    this.spectrum = new Float64Array(2 * inner)
    this.superRe = new Float64Array(this.bins)
    this.superIm = new Float64Array(this.bins)
    for (let k = 0; k < this.bins; k++) {
      const phase = (-2 * Math.PI * k) / size
      this.superRe[k] = Math.cos(phase)
      this.superIm[k] = Math.sin(phase)
    }
  }

  /**
   * outRe[k] + i·outIm[k] = Σ_j input[j]·e^(−2πi·jk/n) for k in [0, bins).
   * Reads input[0..n); writes outRe/outIm[0..bins). Allocates nothing.
   */
  transform(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    this.load(input, 0, undefined)
    this.spectrumInto(outRe, outIm, undefined)
  }

  /**
   * Power spectrum of a windowed slice: power[k] = |X[k]|² for k in [0, bins), where
   * X = DFT(input[offset + j] · window[j], j in [0, n)). Allocates nothing.
   */
  powerSpectrum(input: ArrayLike<number>, offset: number, window: Float64Array, power: Float64Array): void {
    this.load(input, offset, window)
    this.spectrumInto(undefined, undefined, power)
  }

  /** Copies the (windowed) real input into the FFT's working buffer, in its input order, and transforms it. */
  private load(input: ArrayLike<number>, offset: number, window: Float64Array | undefined): void {
    const fft = (this.full ?? this.half)!
    const {permutation} = fft
    const x = this.spectrum
    const inner = fft.size
    if (this.full) {
      // Odd n: a full complex FFT with zero imaginary part.
      for (let j = 0; j < inner; j++) {
        const s = permutation[j]
        x[2 * j] = window ? input[offset + s] * window[s] : input[offset + s]
        x[2 * j + 1] = 0
      }
    } else if (window) {
      // Even n: z[j] = x[2j] + i·x[2j+1], a complex FFT of size n/2.
      for (let j = 0; j < inner; j++) {
        const s = 2 * permutation[j]
        x[2 * j] = input[offset + s] * window[s]
        x[2 * j + 1] = input[offset + s + 1] * window[s + 1]
      }
    } else {
      for (let j = 0; j < inner; j++) {
        const s = 2 * permutation[j]
        x[2 * j] = input[offset + s]
        x[2 * j + 1] = input[offset + s + 1]
      }
    }
    fft.transformPermuted(x)
  }

  /** Turns the transformed buffer into bins: re/im, or |X|² when `power` is given. */
  private spectrumInto(outRe: Float64Array | undefined, outIm: Float64Array | undefined, power: Float64Array | undefined): void {
    const {spectrum, bins} = this
    if (this.full) {
      for (let k = 0; k < bins; k++) {
        const re = spectrum[2 * k], im = spectrum[2 * k + 1]
        if (power) power[k] = re * re + im * im
        else {
          outRe![k] = re
          outIm![k] = im
        }
      }
      return
    }
    const h = this.size / 2
    const {superRe, superIm} = this
    // X[k] = E[k] + W^k·O[k], E = (Z[k] + conj Z[h−k]) / 2, O = (Z[k] − conj Z[h−k]) / 2i; Z[h] = Z[0].
    const z0r = spectrum[0], z0i = spectrum[1]
    const dc = z0r + z0i
    const nyquist = z0r - z0i
    for (let k = 1; k < h; k++) {
      const zr = spectrum[2 * k], zi = spectrum[2 * k + 1]
      const cr = spectrum[2 * (h - k)], ci = -spectrum[2 * (h - k) + 1]
      const er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci)
      const or = 0.5 * (zi - ci), oi = -0.5 * (zr - cr)
      const re = er + superRe[k] * or - superIm[k] * oi
      const im = ei + superRe[k] * oi + superIm[k] * or
      if (power) power[k] = re * re + im * im
      else {
        outRe![k] = re
        outIm![k] = im
      }
    }
    if (power) {
      power[0] = dc * dc
      power[h] = nyquist * nyquist
    } else {
      outRe![0] = dc
      outIm![0] = 0
      outRe![h] = nyquist
      outIm![h] = 0
    }
  }
}
