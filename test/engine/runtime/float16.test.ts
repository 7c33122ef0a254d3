import {describe, expect, it} from 'vitest'
import {float32ToHalf, fromHalf, halfToFloat32, toHalf} from '../../../src/engine/runtime/float16.js'

describe('float16 bits', () => {
  it('encodes known values exactly', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1e6, 0x7c00],
    ]
    for (const [value, bits] of cases) {
      expect(toHalf(value), String(value)).toBe(bits)
      if (Math.abs(value) < 1e5) expect(fromHalf(bits)).toBe(value)
    }
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true)
  })

  it('rounds to nearest even and round-trips every half value', () => {
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00) // tie → even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02)
    for (let bits = 0; bits < 0x7c00; bits++) expect(toHalf(fromHalf(bits))).toBe(bits)
  })

  it('converts arrays both ways within half precision', () => {
    const source = Float32Array.from({length: 1000}, (_, i) => Math.sin(i) * 10)
    const back = halfToFloat32(float32ToHalf(source, new Uint16Array(1000)), new Float32Array(1000))
    for (let i = 0; i < 1000; i++) expect(Math.abs(back[i]! - source[i]!)).toBeLessThanOrEqual(Math.abs(source[i]!) * 2 ** -11 + 1e-7)
  })
})
