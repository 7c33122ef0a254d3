import {describe, expect, it} from 'vitest'

import {ChunkAssembler, float32ToS16le, s16leToFloat32} from '../../../src/engine/audio/pcm.js'

/** Deterministic pseudo-random sizes and samples. */
function* lcg(seed: number): Generator<number> {
  let x = seed
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648
    yield x / 2147483648
  }
}

function collect(assembler: ChunkAssembler, bytes: Uint8Array, sizes: Generator<number>, maxSlice: number): Float32Array[] {
  const chunks: Float32Array[] = []
  let at = 0
  while (at < bytes.length) {
    const size = 1 + Math.floor(sizes.next().value! * maxSlice)
    assembler.push(bytes.subarray(at, at + size))
    at += size
    for (let chunk = assembler.next(); chunk; chunk = assembler.next()) chunks.push(chunk.slice())
  }
  const tail = assembler.flush()
  if (tail) chunks.push(tail.slice())
  return chunks
}

describe('pcm conversions', () => {
  it('s16le → float32 covers the full range, at any alignment', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x00, 0x01])
    const out = new Float32Array(4)
    // Odd offset: samples start at byte 1.
    expect(s16leToFloat32(bytes.subarray(1), out)).toBe(3)
    expect(Array.from(out.subarray(0, 3))).toEqual([-32768 / 32768, 32767 / 32768, 0])
    expect(out[3]).toBe(0)
  })

  it('float32 → s16le clips and round-trips', () => {
    const samples = new Float32Array([0, 0.5, -0.5, 1.5, -1.5, 1, -1])
    const bytes = new Uint8Array(samples.length * 2)
    expect(float32ToS16le(samples, bytes)).toBe(14)
    const back = new Float32Array(samples.length)
    s16leToFloat32(bytes, back)
    expect(back[0]).toBe(0)
    expect(back[1]).toBeCloseTo(0.5, 4)
    expect(back[2]).toBeCloseTo(-0.5, 4)
    expect(back[3]).toBeCloseTo(1, 4)
    expect(back[4]).toBe(-1)
  })
})

describe('ChunkAssembler', () => {
  for (const format of ['f32le', 's16le'] as const) {
    it(`makes exact ${format} chunks from arbitrary (odd) byte slices`, () => {
      const random = lcg(7)
      const total = 10_007
      const expected = new Float32Array(total)
      for (let i = 0; i < total; i++) expected[i] = Math.round((random.next().value! * 2 - 1) * 32767) / 32768
      const bytes = new Uint8Array(total * (format === 'f32le' ? 4 : 2))
      for (let i = 0; i < total; i++) {
        if (format === 'f32le') new DataView(bytes.buffer).setFloat32(i * 4, expected[i], true)
        else new DataView(bytes.buffer).setInt16(i * 2, Math.round(expected[i] * 32768), true)
      }
      for (const maxSlice of [1, 3, 7, 1000, 50_000]) {
        const chunks = collect(new ChunkAssembler(320, format), bytes, lcg(maxSlice), maxSlice)
        expect(chunks.slice(0, -1).every((c) => c.length === 320)).toBe(true)
        expect(chunks.at(-1)!.length).toBe(total % 320)
        const joined = new Float32Array(total)
        let at = 0
        for (const c of chunks) {
          joined.set(c, at)
          at += c.length
        }
        expect(joined).toEqual(expected)
      }
    })
  }

  it('reuses one buffer and drops an incomplete trailing sample', () => {
    const assembler = new ChunkAssembler(2, 's16le')
    assembler.push(new Uint8Array(9))
    const first = assembler.next()
    const second = assembler.next()
    expect(first).toBe(second)
    expect(assembler.next()).toBeNull()
    expect(assembler.pendingBytes).toBe(1)
    expect(assembler.flush()).toBeNull()
    expect(assembler.pendingBytes).toBe(0)
  })

  it('refuses a push before the previous bytes were drained', () => {
    const assembler = new ChunkAssembler(1, 'f32le')
    assembler.push(new Uint8Array(8))
    expect(() => assembler.push(new Uint8Array(4))).toThrow(/before next/)
  })
})
