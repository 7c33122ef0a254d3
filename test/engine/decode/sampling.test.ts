import {describe, expect, it} from 'vitest'
import {logSumExp, sampleToken, seededRandom} from '../../../src/engine/decode/sampling.js'

describe('seededRandom', () => {
  it('equal seeds draw equal sequences in [0, 1); other seeds differ', () => {
    const draw = (seed: number): number[] => {
      const random = seededRandom(seed)
      return Array.from({length: 100}, () => random())
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
    for (const value of draw(3)) expect(value >= 0 && value < 1).toBe(true)
  })
})

describe('sampleToken', () => {
  const logits = Float32Array.from([Math.log(0.1), Math.log(0.2), -Infinity, Math.log(0.7)])

  it('draws each token about as often as softmax(logits / T) says, and never a -Infinity one', () => {
    const random = seededRandom(1)
    const counts = [0, 0, 0, 0]
    const n = 20_000
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 1, random)]!++
    expect(counts[2]).toBe(0)
    expect(counts[0]! / n).toBeCloseTo(0.1, 1)
    expect(counts[1]! / n).toBeCloseTo(0.2, 1)
    expect(counts[3]! / n).toBeCloseTo(0.7, 1)
  })

  it('a higher temperature flattens the distribution', () => {
    const count = (temperature: number): number => {
      const random = seededRandom(2)
      let rare = 0
      for (let i = 0; i < 5000; i++) if (sampleToken(logits, temperature, random) === 0) rare++
      return rare
    }
    expect(count(0.2)).toBeLessThan(count(1))
    expect(count(1)).toBeLessThan(count(5))
  })

  it('logSumExp is the log of the softmax denominator', () => {
    expect(logSumExp(logits)).toBeCloseTo(0, 6)
    expect(logSumExp(Float32Array.from([-Infinity, -Infinity]))).toBe(-Infinity)
  })

  it('logSumExp over a vocabulary-wide spread matches the full sum within 1e-8, the maximum given or not', () => {
    const wide = Float32Array.from({length: 51_864}, (_, i) => 40 * Math.sin(i * 0.77) - 25)
    let max = -Infinity
    for (const v of wide) max = Math.max(max, v)
    let exact = 0
    for (const v of wide) exact += Math.exp(v - max)
    const expected = max + Math.log(exact)
    expect(Math.abs(logSumExp(wide) - expected)).toBeLessThan(1e-8)
    expect(Math.abs(logSumExp(wide, max) - expected)).toBeLessThan(1e-8)
  })
})
