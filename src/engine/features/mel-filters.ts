import type {PreprocessorConfig} from './preprocessor-config.js'

/** Whisper's filterbank spans 0 Hz to 8 kHz (fixed in openai/whisper and both HF extractors). */
export const WHISPER_MIN_FREQUENCY = 0
export const WHISPER_MAX_FREQUENCY = 8000

// Slaney mel scale (librosa `htk=False`): linear below 1 kHz, logarithmic above.
const MIN_LOG_HERTZ = 1000
const MIN_LOG_MEL = 15

/** Hz → mel on the Slaney scale, with the same float operations as transformers.js. */
export function hertzToMelSlaney(hz: number): number {
  return hz >= MIN_LOG_HERTZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HERTZ) * (27 / Math.log(6.4)) : (3 * hz) / 200
}

/** Mel → Hz on the Slaney scale, with the same float operations as transformers.js. */
export function melToHertzSlaney(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HERTZ * Math.exp((Math.log(6.4) / 27) * (mel - MIN_LOG_MEL)) : (200 * mel) / 3
}

function linspace(start: number, end: number, num: number): Float64Array {
  const step = (end - start) / (num - 1)
  return Float64Array.from({length: num}, (_, i) => start + step * i)
}

/**
 * Slaney-normalised triangular mel filterbank on the Slaney mel scale, as
 * librosa `mel(htk=False, norm="slaney")` and HF `mel_filter_bank(..., "slaney", "slaney")`.
 * Returns `nMels` rows of `nFreq` weights (mel-major).
 */
export function melFilterBank(nFreq: number, nMels: number, minHz: number, maxHz: number, samplingRate: number): Float64Array[] {
  if (nFreq < 2) throw new RangeError(`nFreq must be >= 2, got ${nFreq}`)
  if (minHz > maxHz) throw new RangeError(`minHz ${minHz} > maxHz ${maxHz}`)
  const melFreqs = linspace(hertzToMelSlaney(minHz), hertzToMelSlaney(maxHz), nMels + 2)
  const filterHz = melFreqs.map(melToHertzSlaney)
  const fftHz = linspace(0, Math.floor(samplingRate / 2), nFreq)
  const rows: Float64Array[] = []
  for (let i = 0; i < nMels; i++) {
    const row = new Float64Array(nFreq)
    const lowerWidth = filterHz[i + 1] - filterHz[i]
    const upperWidth = filterHz[i + 2] - filterHz[i + 1]
    const enorm = 2 / (filterHz[i + 2] - filterHz[i])
    for (let k = 0; k < nFreq; k++) {
      const down = -(filterHz[i] - fftHz[k]) / lowerWidth
      const up = (filterHz[i + 2] - fftHz[k]) / upperWidth
      row[k] = Math.max(0, Math.min(down, up)) * enorm
    }
    rows.push(row)
  }
  return rows
}

/** A filterbank stored sparsely: row m has weights for bins [start[m], start[m] + length[m]). */
export interface SparseMelFilters {
  readonly nMels: number
  readonly nFreq: number
  readonly start: Int32Array
  readonly length: Int32Array
  /** Row m's weights at offset[m] … offset[m] + length[m]. */
  readonly offset: Int32Array
  readonly weights: Float64Array
}

/** Keeps each row's span from its first to its last nonzero weight. */
export function toSparse(rows: readonly Float64Array[]): SparseMelFilters {
  const nMels = rows.length
  const nFreq = rows[0]?.length ?? 0
  const start = new Int32Array(nMels)
  const length = new Int32Array(nMels)
  const offset = new Int32Array(nMels)
  let total = 0
  rows.forEach((row, m) => {
    let lo = 0
    while (lo < nFreq && row[lo] === 0) lo++
    let hi = nFreq
    while (hi > lo && row[hi - 1] === 0) hi--
    start[m] = lo
    length[m] = hi - lo
    offset[m] = total
    total += hi - lo
  })
  const weights = new Float64Array(total)
  rows.forEach((row, m) => weights.set(row.subarray(start[m], start[m] + length[m]), offset[m]))
  return {nMels, nFreq, start, length, offset, weights}
}

/** The model's filterbank: from its config when the file ships one, else computed as Whisper does. */
export function melFiltersFor(config: PreprocessorConfig): Float64Array[] {
  if (config.melFilters) return config.melFilters.map((row) => Float64Array.from(row))
  return melFilterBank(
    Math.floor(config.nFft / 2) + 1,
    config.featureSize,
    WHISPER_MIN_FREQUENCY,
    WHISPER_MAX_FREQUENCY,
    config.samplingRate,
  )
}
