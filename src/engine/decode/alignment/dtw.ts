/**
 * Dynamic time warping over a rows × cols cost matrix (row-major), as openai-whisper's dtw_cpu:
 * moves diagonal, down (next row, same column) or right (same row, next column); on ties the
 * rightward move wins, then the downward one. Returns the path's row and column indices in order.
 */
export function dtw(cost: Float32Array, rows: number, cols: number): {rowIndices: Int32Array; colIndices: Int32Array} {
  const width = cols + 1
  const total = new Float64Array((rows + 1) * width).fill(Infinity)
  // 0: diagonal, 1: from the row above, 2: from the column to the left.
  const trace = new Int8Array((rows + 1) * width)
  total[0] = 0
  for (let j = 1; j <= cols; j++) {
    for (let i = 1; i <= rows; i++) {
      const c0 = total[(i - 1) * width + j - 1]!
      const c1 = total[(i - 1) * width + j]!
      const c2 = total[i * width + j - 1]!
      let best: number
      let move: number
      if (c0 < c1 && c0 < c2) {
        best = c0
        move = 0
      } else if (c1 < c0 && c1 < c2) {
        best = c1
        move = 1
      } else {
        best = c2
        move = 2
      }
      total[i * width + j] = cost[(i - 1) * cols + j - 1]! + best
      trace[i * width + j] = move
    }
  }
  for (let j = 0; j <= cols; j++) trace[j] = 2
  for (let i = 0; i <= rows; i++) trace[i * width] = 1
  const rowPath: number[] = []
  const colPath: number[] = []
  let i = rows
  let j = cols
  while (i > 0 || j > 0) {
    rowPath.push(i - 1)
    colPath.push(j - 1)
    const move = trace[i * width + j]
    if (move === 0) {
      i--
      j--
    } else if (move === 1) i--
    else j--
  }
  return {rowIndices: Int32Array.from(rowPath.reverse()), colIndices: Int32Array.from(colPath.reverse())}
}
