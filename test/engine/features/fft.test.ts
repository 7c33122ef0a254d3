import {describe, expect, it} from 'vitest'

import {ComplexFft, RealFft, factorize} from '../../../src/engine/features/fft.js'
import {seeded} from './reference.js'

/** O(n²) DFT in float64, the yardstick. */
function naiveDft(re: ArrayLike<number>, im: ArrayLike<number> | undefined, bins: number) {
  const n = re.length
  const outRe = new Float64Array(bins)
  const outIm = new Float64Array(bins)
  for (let k = 0; k < bins; k++) {
    let sr = 0
    let si = 0
    for (let j = 0; j < n; j++) {
      const phase = (-2 * Math.PI * ((j * k) % n)) / n
      const c = Math.cos(phase)
      const s = Math.sin(phase)
      const xi = im ? im[j] : 0
      sr += re[j] * c - xi * s
      si += re[j] * s + xi * c
    }
    outRe[k] = sr
    outIm[k] = si
  }
  return {outRe, outIm}
}

function randomSignal(n: number, seed: number): Float64Array {
  const rnd = seeded(seed)
  return Float64Array.from({length: n}, () => 2 * rnd() - 1)
}

describe('factorize', () => {
  it('splits Whisper sizes into radix 4, 2, 3, 5', () => {
    expect(factorize(400)).toEqual([4, 4, 5, 5])
    expect(factorize(512)).toEqual([4, 4, 4, 4, 2])
    expect(factorize(480)).toEqual([4, 4, 2, 3, 5])
    expect(factorize(77)).toEqual([7, 11])
  })
})

describe('RealFft', () => {
  for (const n of [400, 512, 480, 200, 2, 6, 15, 77, 98]) {
    it(`matches a naive DFT for n = ${n}`, () => {
      const x = randomSignal(n, n)
      const fft = new RealFft(n)
      expect(fft.bins).toBe(Math.floor(n / 2) + 1)
      const re = new Float64Array(fft.bins)
      const im = new Float64Array(fft.bins)
      fft.transform(x, re, im)
      const want = naiveDft(x, undefined, fft.bins)
      let worst = 0
      for (let k = 0; k < fft.bins; k++) worst = Math.max(worst, Math.abs(re[k] - want.outRe[k]), Math.abs(im[k] - want.outIm[k]))
      expect(worst).toBeLessThan(1e-10 * n)
    })
  }

  it('gives the same answer on reuse and reads Float32Array input', () => {
    const fft = new RealFft(400)
    const x = Float32Array.from(randomSignal(400, 1))
    const a = {re: new Float64Array(201), im: new Float64Array(201)}
    const b = {re: new Float64Array(201), im: new Float64Array(201)}
    fft.transform(x, a.re, a.im)
    fft.transform(randomSignal(400, 2), b.re, b.im)
    fft.transform(x, b.re, b.im)
    expect(b.re).toEqual(a.re)
    expect(b.im).toEqual(a.im)
  })

  it('puts a pure tone in its bin', () => {
    const n = 400
    const x = Float64Array.from({length: n}, (_, j) => Math.cos((2 * Math.PI * 37 * j) / n))
    const fft = new RealFft(n)
    const re = new Float64Array(fft.bins)
    const im = new Float64Array(fft.bins)
    fft.transform(x, re, im)
    expect(re[37]).toBeCloseTo(n / 2, 9)
    expect(Math.abs(re[36]) + Math.abs(im[38])).toBeLessThan(1e-9)
  })
})

describe('ComplexFft', () => {
  for (const n of [200, 400, 49, 121, 1]) {
    it(`matches a naive DFT on complex input for n = ${n}`, () => {
      const re = randomSignal(n, 3 * n)
      const im = randomSignal(n, 5 * n)
      const input = new Float64Array(2 * n)
      for (let j = 0; j < n; j++) {
        input[2 * j] = re[j]
        input[2 * j + 1] = im[j]
      }
      const out = new Float64Array(2 * n)
      new ComplexFft(n).transform(input, out)
      const want = naiveDft(re, im, n)
      let worst = 0
      for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(out[2 * k] - want.outRe[k]), Math.abs(out[2 * k + 1] - want.outIm[k]))
      expect(worst).toBeLessThan(1e-10 * Math.max(n, 2))
    })
  }
})
