import {describe, expect, it} from 'vitest'
import {dtw} from '../../../../src/engine/decode/alignment/dtw.js'
import {medianFilter} from '../../../../src/engine/decode/alignment/median-filter.js'
import {tokenTimes} from '../../../../src/engine/decode/alignment/token-times.js'

describe('dtw', () => {
  it('follows the cheap diagonal band and covers every row and column, in order', () => {
    // Row r is cheap at columns 2r and 2r + 1.
    const rows = 3
    const cols = 6
    const cost = new Float32Array(rows * cols).fill(1)
    for (let r = 0; r < rows; r++) cost[r * cols + 2 * r] = cost[r * cols + 2 * r + 1] = 0
    const {rowIndices, colIndices} = dtw(cost, rows, cols)
    expect(Array.from(rowIndices)).toEqual([0, 0, 1, 1, 2, 2])
    expect(Array.from(colIndices)).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('any matrix: a path from the first cell to the last, one step at a time', () => {
    const rows = 5
    const cols = 9
    const cost = Float32Array.from({length: rows * cols}, (_, i) => ((i * 7919) % 13) / 13)
    const {rowIndices, colIndices} = dtw(cost, rows, cols)
    expect([rowIndices[0], colIndices[0]]).toEqual([0, 0])
    expect([rowIndices.at(-1), colIndices.at(-1)]).toEqual([rows - 1, cols - 1])
    for (let k = 1; k < rowIndices.length; k++) {
      const dr = rowIndices[k]! - rowIndices[k - 1]!
      const dc = colIndices[k]! - colIndices[k - 1]!
      expect([0, 1]).toContain(dr)
      expect([0, 1]).toContain(dc)
      expect(dr + dc).toBeGreaterThan(0)
    }
  })
})

describe('medianFilter', () => {
  it('takes the median of each window, mirroring at the edges', () => {
    expect(Array.from(medianFilter(Float32Array.from([5, 1, 9, 3, 7]), 3))).toEqual([1, 5, 3, 7, 3])
    expect(Array.from(medianFilter(Float32Array.from([1, 2, 3]), 1))).toEqual([1, 2, 3])
  })
})

describe('tokenTimes', () => {
  it('a head that attends to frame 2r at row r times token r at most a frame before 2r; the start rows are dropped', () => {
    const prefix = 2
    const rows = prefix + 4
    const frames = 12
    // Softmax-like rows: a little everywhere (varying, so no frame's spread is zero), a peak at 2r.
    const head = Float32Array.from({length: rows * frames}, (_, i) => 0.01 + 0.001 * ((i * 7) % 5))
    for (let r = 0; r < rows; r++) head[r * frames + Math.max(0, 2 * (r - prefix))] = 1
    const times = tokenTimes({heads: [head], rows, frames}, {prefix, filterWidth: 1, secondsPerFrame: 0.02})
    const frameOf = Array.from(times).map((t) => Math.round(t / 0.02))
    expect(frameOf).toHaveLength(rows - prefix + 1)
    for (let k = 0; k < rows - prefix; k++) {
      expect(frameOf[k]).toBeLessThanOrEqual(2 * k)
      expect(frameOf[k]).toBeGreaterThanOrEqual(2 * k - 1)
    }
    expect(frameOf.at(-1)).toBe(frameOf.at(-2))
  })
})
