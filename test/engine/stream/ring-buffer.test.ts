import {describe, expect, it} from 'vitest'
import {RingBuffer} from '../../../src/engine/stream/ring-buffer.js'

describe('RingBuffer', () => {
  it('appends, views without copying and trims by absolute sample', () => {
    const ring = new RingBuffer(10)
    ring.append(Float32Array.of(0, 1, 2, 3))
    ring.append(Float32Array.of(4, 5))
    expect([ring.startSample, ring.endSample, ring.length, ring.free]).toEqual([0, 6, 6, 4])
    const view = ring.view()
    expect(view.buffer).toBe(ring.storage.buffer)
    expect([...ring.view(2, 4)]).toEqual([2, 3])
    ring.trimTo(3)
    expect([ring.startSample, ring.length]).toEqual([3, 3])
    expect([...ring.view()]).toEqual([3, 4, 5])
    ring.trimTo(1) // backwards: no-op
    expect(ring.startSample).toBe(3)
    ring.trimTo(100) // past the end: empties, start moves to the end only
    expect([ring.startSample, ring.length]).toEqual([6, 0])
  })

  it('refuses a chunk larger than the free space', () => {
    const ring = new RingBuffer(4)
    ring.append(new Float32Array(3))
    expect(() => ring.append(new Float32Array(2))).toThrow(RangeError)
    expect(ring.length).toBe(3)
  })

  it('keeps its capacity and its one array over a long run', () => {
    const ring = new RingBuffer(480_000)
    const storage = ring.storage
    const chunk = new Float32Array(3_217)
    let next = 0
    for (let i = 0; i < 2_000; i++) {
      for (let k = 0; k < chunk.length; k++) chunk[k] = next + k
      if (ring.free < chunk.length) ring.trimTo(ring.endSample - 100_000)
      ring.append(chunk)
      next += chunk.length
      const v = ring.view()
      expect(v[0]).toBe(ring.startSample)
      expect(v[v.length - 1]).toBe(ring.endSample - 1)
    }
    expect(ring.endSample).toBe(next)
    expect(ring.capacity).toBe(480_000)
    expect(ring.storage).toBe(storage)
  })
})
