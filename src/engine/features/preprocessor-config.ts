import {WhisperStreamError} from '../errors.js'

/**
 * The feature-extraction settings of a Whisper model, read from its
 * `preprocessor_config.json` (the fields WhisperFeatureExtractor uses).
 */
export interface PreprocessorConfig {
  /** Number of mel bins: 80 for most models, 128 for large-v3 / turbo. */
  readonly featureSize: number
  /** Samples between successive STFT frames (160 = 10 ms at 16 kHz). */
  readonly hopLength: number
  /** FFT size and window length (400 = 25 ms at 16 kHz). */
  readonly nFft: number
  /** Samples in one model input window (480000 = 30 s at 16 kHz). */
  readonly nSamples: number
  /** Frames the encoder takes (3000). */
  readonly nbMaxFrames: number
  /** Audio sample rate in Hz (16000). */
  readonly samplingRate: number
  /** Length of one window in seconds (30). */
  readonly chunkLength: number
  /** Value used to pad audio shorter than a window (0). */
  readonly paddingValue: number
  /**
   * Mel filterbank when the file ships one, normalised to `[featureSize][nFft/2+1]`
   * (mel-major). Files store either that orientation (older openai/* files, and what
   * transformers.js expects) or Python's `[nFft/2+1][featureSize]`; both are accepted.
   */
  readonly melFilters?: readonly Float64Array[]
}

type Json = Record<string, unknown>

const corrupt = (file: string, key: string, problem: string): WhisperStreamError =>
  new WhisperStreamError('model-corrupt', `${file}: "${key}" ${problem}`, {
    hint: 'download the model again, or check that the directory holds a Whisper model',
  })

function positiveInt(json: Json, key: string, file: string, fallback?: number): number {
  const value = json[key]
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw corrupt(file, key, `must be a positive integer, got ${JSON.stringify(value) ?? 'nothing'}`)
  return value
}

function finiteNumber(json: Json, key: string, file: string, fallback: number): number {
  const value = json[key]
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) throw corrupt(file, key, `must be a number, got ${JSON.stringify(value)}`)
  return value
}

function numberMatrix(value: unknown, file: string): Float64Array[] {
  if (!Array.isArray(value) || value.length === 0) throw corrupt(file, 'mel_filters', 'must be a non-empty 2-D array')
  const width = Array.isArray(value[0]) ? value[0].length : -1
  return value.map((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== width) throw corrupt(file, 'mel_filters', `row ${r} must be an array of ${width} numbers`)
    const out = new Float64Array(width)
    for (let c = 0; c < width; c++) {
      const x: unknown = row[c]
      if (typeof x !== 'number' || !Number.isFinite(x)) throw corrupt(file, 'mel_filters', `[${r}][${c}] must be a number`)
      out[c] = x
    }
    return out
  })
}

/** Turns `[nFreq][nMels]` or `[nMels][nFreq]` into mel-major rows, or throws naming the file. */
function melMajor(value: unknown, nMels: number, nFreq: number, file: string): Float64Array[] {
  const m = numberMatrix(value, file)
  const rows = m.length
  const cols = m[0].length
  if (rows === nMels && cols === nFreq) return m
  if (rows === nFreq && cols === nMels) return Array.from({length: nMels}, (_, j) => Float64Array.from({length: nFreq}, (_, k) => m[k][j]))
  throw corrupt(file, 'mel_filters', `has shape [${rows}][${cols}], expected [${nMels}][${nFreq}] or [${nFreq}][${nMels}]`)
}

/**
 * Validates the parsed JSON of a `preprocessor_config.json`.
 * Throws `WhisperStreamError('model-corrupt')` naming `file` and the offending key.
 */
export function parsePreprocessorConfig(json: unknown, file: string): PreprocessorConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new WhisperStreamError('model-corrupt', `${file}: expected a JSON object`, {
      hint: 'download the model again',
    })
  const j = json as Json
  const featureSize = positiveInt(j, 'feature_size', file)
  const hopLength = positiveInt(j, 'hop_length', file)
  const nFft = positiveInt(j, 'n_fft', file)
  const samplingRate = positiveInt(j, 'sampling_rate', file)
  const chunkLength = positiveInt(j, 'chunk_length', file)
  const nSamples = positiveInt(j, 'n_samples', file, chunkLength * samplingRate)
  const nbMaxFrames = positiveInt(j, 'nb_max_frames', file, Math.floor(nSamples / hopLength))
  const paddingValue = finiteNumber(j, 'padding_value', file, 0)

  if (nFft < 2) throw corrupt(file, 'n_fft', `must be at least 2, got ${nFft}`)
  // Reflect padding of n_fft/2 needs more samples than that on each side.
  if (nSamples <= nFft) throw corrupt(file, 'n_samples', `must exceed n_fft (${nFft}), got ${nSamples}`)
  if (nbMaxFrames > Math.floor(nSamples / hopLength))
    throw corrupt(file, 'nb_max_frames', `is ${nbMaxFrames}, more than n_samples / hop_length = ${Math.floor(nSamples / hopLength)}`)

  const config: PreprocessorConfig = {
    featureSize,
    hopLength,
    nFft,
    nSamples,
    nbMaxFrames,
    samplingRate,
    chunkLength,
    paddingValue,
  }
  const filters = j.mel_filters
  if (filters === undefined || filters === null) return config
  return {...config, melFilters: melMajor(filters, featureSize, Math.floor(nFft / 2) + 1, file)}
}
