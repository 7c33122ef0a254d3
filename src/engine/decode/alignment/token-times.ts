import {dtw} from './dtw.js'
import {medianFilter} from './median-filter.js'

export interface AttentionRows {
  /** One rows × frames matrix (row-major) per alignment head: the cross-attention of each fed position. */
  heads: Float32Array[]
  rows: number
  frames: number
}

export interface AlignmentOptions {
  /** Rows of the start sequence (prompt, start-of-transcript, language, task): normalised with the rest, then dropped. */
  prefix: number
  /** Median filter width over frames (config.json's median_filter_width; Whisper: 7). */
  filterWidth: number
  /** Seconds one encoder frame stands for (0.02). */
  secondsPerFrame: number
}

/**
 * Token times from the alignment heads' cross-attention, as openai-whisper's find_alignment and
 * transformers.js's _extract_token_timestamps compute them: each head's weights are standardised
 * per frame over the positions, median-filtered along frames, averaged over heads, and DTW finds
 * the monotonic path through the negated matrix. Row r (the position fed after r generated tokens)
 * times generated token r: its time is the first frame the path reaches on that row.
 * Returns one time per generated row, plus the last repeated (the end of the last token).
 */
export function tokenTimes(attention: AttentionRows, options: AlignmentOptions): Float64Array {
  const {rows, frames, heads} = attention
  const textRows = rows - options.prefix
  if (textRows <= 0 || frames === 0 || heads.length === 0) return new Float64Array(0)
  const matrix = new Float32Array(textRows * frames)
  const row = new Float32Array(frames)
  const filtered = new Float32Array(frames)
  const mean = new Float32Array(frames)
  const std = new Float32Array(frames)
  for (const weights of heads) {
    mean.fill(0)
    std.fill(0)
    for (let r = 0; r < rows; r++) for (let f = 0; f < frames; f++) mean[f] += weights[r * frames + f]!
    for (let f = 0; f < frames; f++) mean[f] /= rows
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < frames; f++) {
        const d = weights[r * frames + f]! - mean[f]!
        std[f] += d * d
      }
    }
    for (let f = 0; f < frames; f++) std[f] = Math.sqrt(std[f]! / rows)
    for (let r = options.prefix; r < rows; r++) {
      for (let f = 0; f < frames; f++) row[f] = (weights[r * frames + f]! - mean[f]!) / std[f]!
      medianFilter(row, options.filterWidth, filtered)
      const at = (r - options.prefix) * frames
      for (let f = 0; f < frames; f++) matrix[at + f] += filtered[f]!
    }
  }
  // Mean over heads, negated: DTW looks for the cheapest path, attention is to be maximised.
  const scale = -1 / heads.length
  for (let i = 0; i < matrix.length; i++) matrix[i] *= scale
  const {rowIndices, colIndices} = dtw(matrix, textRows, frames)
  const times = new Float64Array(textRows + 1)
  let count = 0
  for (let k = 0; k < rowIndices.length; k++) {
    if (k === 0 || rowIndices[k] !== rowIndices[k - 1]) times[count++] = colIndices[k]! * options.secondsPerFrame
  }
  times[textRows] = times[textRows - 1]!
  return times
}
