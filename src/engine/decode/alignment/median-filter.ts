/**
 * Median of each `width`-wide window along `values`, edges mirrored (reflect padding, as
 * openai-whisper's median_filter and transformers.js's medianFilter). `width` is odd.
 */
export function medianFilter(values: Float32Array, width: number, out = new Float32Array(values.length)): Float32Array {
  const half = width >> 1
  const n = values.length
  const window = new Float32Array(width)
  for (let i = 0; i < n; i++) {
    for (let k = -half; k <= half; k++) {
      let index = i + k
      if (index < 0) index = -index
      else if (index >= n) index = 2 * (n - 1) - index
      window[k + half] = values[Math.min(n - 1, Math.max(0, index))]!
    }
    window.sort()
    out[i] = window[half]!
  }
  return out
}
