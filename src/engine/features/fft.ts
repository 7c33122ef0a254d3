/**
 * Mixed-radix FFT (radix 4, 2, 3, 5, and a generic radix for any other prime factor),
 * decimation in time after KISS FFT. All twiddles and scratch are allocated in the
 * constructor; transforms allocate nothing.
 *
 * Cost is O(n · Σ factors): n log n for the sizes Whisper uses (400 = 4·4·5·5, 480, 512);
 * a size with a large prime factor p costs O(n·p).
 */

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

/** Complex FFT of a fixed size on interleaved [re, im, re, im, …] Float64Arrays. */
export class ComplexFft {
  readonly size: number
  private readonly factors: Int32Array // [p0, m0, p1, m1, …] with m_i = n / (p0…p_i)
  private readonly twRe: Float64Array
  private readonly twIm: Float64Array
  private readonly scratch: Float64Array // generic butterfly: 2·maxFactor

  constructor(size: number) {
    this.size = size
    const fs = factorize(size)
    this.factors = new Int32Array(fs.length * 2)
    let m = size
    fs.forEach((p, i) => {
      m /= p
      this.factors[2 * i] = p
      this.factors[2 * i + 1] = m
    })
    this.twRe = new Float64Array(size)
    this.twIm = new Float64Array(size)
    for (let k = 0; k < size; k++) {
      const phase = (-2 * Math.PI * k) / size
      this.twRe[k] = Math.cos(phase)
      this.twIm[k] = Math.sin(phase)
    }
    this.scratch = new Float64Array(2 * Math.max(1, ...fs))
  }

  /** out = DFT(input), X[k] = Σ x[j]·e^(−2πi·jk/n). Both interleaved, length 2n, distinct buffers. */
  transform(input: Float64Array, out: Float64Array): void {
    if (this.size === 1) {
      out[0] = input[0]
      out[1] = input[1]
      return
    }
    this.work(out, 0, input, 0, 1, 0)
  }

  private work(out: Float64Array, o: number, f: Float64Array, fi: number, fstride: number, fac: number): void {
    const p = this.factors[fac]
    const m = this.factors[fac + 1]
    const end = o + 2 * p * m
    if (m === 1) {
      for (let j = o; j < end; j += 2, fi += 2 * fstride) {
        out[j] = f[fi]
        out[j + 1] = f[fi + 1]
      }
    } else {
      for (let j = o; j < end; j += 2 * m, fi += 2 * fstride) this.work(out, j, f, fi, fstride * p, fac + 2)
    }
    switch (p) {
      case 2: this.bfly2(out, o, fstride, m); break
      case 3: this.bfly3(out, o, fstride, m); break
      case 4: this.bfly4(out, o, fstride, m); break
      case 5: this.bfly5(out, o, fstride, m); break
      default: this.bflyGeneric(out, o, fstride, m, p)
    }
  }

  private bfly2(x: Float64Array, o: number, fstride: number, m: number): void {
    const {twRe, twIm} = this
    for (let u = 0; u < m; u++) {
      const a = o + 2 * u
      const b = a + 2 * m
      const wr = twRe[u * fstride], wi = twIm[u * fstride]
      const tr = x[b] * wr - x[b + 1] * wi
      const ti = x[b] * wi + x[b + 1] * wr
      x[b] = x[a] - tr
      x[b + 1] = x[a + 1] - ti
      x[a] += tr
      x[a + 1] += ti
    }
  }

  private bfly3(x: Float64Array, o: number, fstride: number, m: number): void {
    const {twRe, twIm} = this
    const epi = twIm[fstride * m] // sin(−2π/3)
    for (let u = 0; u < m; u++) {
      const a = o + 2 * u, b = a + 2 * m, c = b + 2 * m
      const w1r = twRe[u * fstride], w1i = twIm[u * fstride]
      const w2r = twRe[2 * u * fstride], w2i = twIm[2 * u * fstride]
      const s1r = x[b] * w1r - x[b + 1] * w1i, s1i = x[b] * w1i + x[b + 1] * w1r
      const s2r = x[c] * w2r - x[c + 1] * w2i, s2i = x[c] * w2i + x[c + 1] * w2r
      const s3r = s1r + s2r, s3i = s1i + s2i
      const s0r = (s1r - s2r) * epi, s0i = (s1i - s2i) * epi
      const hr = x[a] - 0.5 * s3r, hi = x[a + 1] - 0.5 * s3i
      x[a] += s3r
      x[a + 1] += s3i
      x[c] = hr + s0i
      x[c + 1] = hi - s0r
      x[b] = hr - s0i
      x[b + 1] = hi + s0r
    }
  }

  private bfly4(x: Float64Array, o: number, fstride: number, m: number): void {
    const {twRe, twIm} = this
    for (let u = 0; u < m; u++) {
      const a = o + 2 * u, b = a + 2 * m, c = b + 2 * m, d = c + 2 * m
      const k1 = u * fstride, k2 = 2 * k1, k3 = 3 * k1
      const s0r = x[b] * twRe[k1] - x[b + 1] * twIm[k1], s0i = x[b] * twIm[k1] + x[b + 1] * twRe[k1]
      const s1r = x[c] * twRe[k2] - x[c + 1] * twIm[k2], s1i = x[c] * twIm[k2] + x[c + 1] * twRe[k2]
      const s2r = x[d] * twRe[k3] - x[d + 1] * twIm[k3], s2i = x[d] * twIm[k3] + x[d + 1] * twRe[k3]
      const s5r = x[a] - s1r, s5i = x[a + 1] - s1i
      const ar = x[a] + s1r, ai = x[a + 1] + s1i
      const s3r = s0r + s2r, s3i = s0i + s2i
      const s4r = s0r - s2r, s4i = s0i - s2i
      x[c] = ar - s3r
      x[c + 1] = ai - s3i
      x[a] = ar + s3r
      x[a + 1] = ai + s3i
      x[b] = s5r + s4i
      x[b + 1] = s5i - s4r
      x[d] = s5r - s4i
      x[d + 1] = s5i + s4r
    }
  }

  private bfly5(x: Float64Array, o: number, fstride: number, m: number): void {
    const {twRe, twIm} = this
    const yar = twRe[fstride * m], yai = twIm[fstride * m]
    const ybr = twRe[2 * fstride * m], ybi = twIm[2 * fstride * m]
    for (let u = 0; u < m; u++) {
      const i0 = o + 2 * u, i1 = i0 + 2 * m, i2 = i1 + 2 * m, i3 = i2 + 2 * m, i4 = i3 + 2 * m
      const k1 = u * fstride, k2 = 2 * k1, k3 = 3 * k1, k4 = 4 * k1
      const s0r = x[i0], s0i = x[i0 + 1]
      const s1r = x[i1] * twRe[k1] - x[i1 + 1] * twIm[k1], s1i = x[i1] * twIm[k1] + x[i1 + 1] * twRe[k1]
      const s2r = x[i2] * twRe[k2] - x[i2 + 1] * twIm[k2], s2i = x[i2] * twIm[k2] + x[i2 + 1] * twRe[k2]
      const s3r = x[i3] * twRe[k3] - x[i3 + 1] * twIm[k3], s3i = x[i3] * twIm[k3] + x[i3 + 1] * twRe[k3]
      const s4r = x[i4] * twRe[k4] - x[i4 + 1] * twIm[k4], s4i = x[i4] * twIm[k4] + x[i4 + 1] * twRe[k4]
      const s7r = s1r + s4r, s7i = s1i + s4i
      const s10r = s1r - s4r, s10i = s1i - s4i
      const s8r = s2r + s3r, s8i = s2i + s3i
      const s9r = s2r - s3r, s9i = s2i - s3i
      x[i0] = s0r + s7r + s8r
      x[i0 + 1] = s0i + s7i + s8i
      const s5r = s0r + s7r * yar + s8r * ybr, s5i = s0i + s7i * yar + s8i * ybr
      const s6r = s10i * yai + s9i * ybi, s6i = -s10r * yai - s9r * ybi
      x[i1] = s5r - s6r
      x[i1 + 1] = s5i - s6i
      x[i4] = s5r + s6r
      x[i4 + 1] = s5i + s6i
      const s11r = s0r + s7r * ybr + s8r * yar, s11i = s0i + s7i * ybr + s8i * yar
      const s12r = -s10i * ybi + s9i * yai, s12i = s10r * ybi - s9r * yai
      x[i2] = s11r + s12r
      x[i2 + 1] = s11i + s12i
      x[i3] = s11r - s12r
      x[i3 + 1] = s11i - s12i
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
  private readonly packed: Float64Array
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
    this.packed = new Float64Array(2 * inner)
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
    const n = this.size
    const {packed, spectrum} = this
    if (this.full) {
      for (let j = 0; j < n; j++) {
        packed[2 * j] = input[j]
        packed[2 * j + 1] = 0
      }
      this.full.transform(packed, spectrum)
      for (let k = 0; k < this.bins; k++) {
        outRe[k] = spectrum[2 * k]
        outIm[k] = spectrum[2 * k + 1]
      }
      return
    }
    const h = n / 2
    for (let j = 0; j < n; j++) packed[j] = input[j] // z[j] = x[2j] + i·x[2j+1]
    this.half!.transform(packed, spectrum)
    const {superRe, superIm} = this
    // X[k] = E[k] + W^k·O[k], E = (Z[k] + conj Z[h−k]) / 2, O = (Z[k] − conj Z[h−k]) / 2i
    for (let k = 0; k <= h; k++) {
      const a = k === h ? 0 : k
      const b = k === 0 ? 0 : h - k
      const zr = spectrum[2 * a], zi = spectrum[2 * a + 1]
      const cr = spectrum[2 * b], ci = -spectrum[2 * b + 1]
      const er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci)
      const or = 0.5 * (zi - ci), oi = -0.5 * (zr - cr)
      outRe[k] = er + superRe[k] * or - superIm[k] * oi
      outIm[k] = ei + superRe[k] * oi + superIm[k] * or
    }
  }
}
