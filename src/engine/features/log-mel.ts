import {RealFft} from './fft.js'
import {melFiltersFor, toSparse, type SparseMelFilters} from './mel-filters.js'
import type {PreprocessorConfig} from './preprocessor-config.js'

/** Floor applied to mel power before log10 (Whisper's `clamp(min=1e-10)`). */
const MEL_FLOOR = 1e-10
/** Dynamic range kept below the loudest bin, in log10 units (80 dB). */
const DYNAMIC_RANGE = 8
/** Final affine map: (x + OFFSET) / SCALE. */
const OFFSET = 4
const SCALE = 4
/** log10(x) as ln(x)·log10(e): twice as fast as Math.log10, within an ulp or two in float64. */
const log10 = (x: number): number => Math.log(x) * Math.LOG10E

/** Periodic Hann window of length n, with the float ops of numpy.hanning(n + 1)[:n]. */
export function periodicHann(n: number): Float64Array {
  const w = new Float64Array(n)
  const factor = (2 * Math.PI) / n
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos(i * factor)
  return w
}

/**
 * Whisper's log-mel spectrogram of one model window, matching WhisperFeatureExtractor
 * (openai/whisper `log_mel_spectrogram`): audio zero-padded (or cut) to n_samples,
 * periodic Hann window, centred STFT with reflect padding, power spectrum, last frame
 * dropped, Slaney mel filterbank, log10(max(x, 1e-10)), floor at max − 8, (x + 4) / 4.
 *
 * Every buffer is allocated in the constructor; `compute` allocates nothing.
 */
export class LogMel {
  /** Mel bins (rows of the output). */
  readonly nMels: number
  /** Frames (columns of the output), 3000 for 30 s. */
  readonly nFrames: number
  /** Samples in one window (480000 for 30 s at 16 kHz). */
  readonly nSamples: number

  private readonly hop: number
  private readonly pad: number
  private readonly paddingValue: number
  private readonly fft: RealFft
  private readonly window: Float64Array
  private readonly filters: SparseMelFilters
  private readonly padded: Float32Array
  private readonly power: Float64Array
  private readonly output: Float32Array

  constructor(config: PreprocessorConfig) {
    this.nMels = config.featureSize
    this.nFrames = Math.min(config.nbMaxFrames, Math.floor(config.nSamples / config.hopLength))
    this.nSamples = config.nSamples
    this.hop = config.hopLength
    this.pad = Math.floor(config.nFft / 2)
    this.paddingValue = config.paddingValue
    this.fft = new RealFft(config.nFft)
    this.window = periodicHann(config.nFft)
    this.filters = toSparse(melFiltersFor(config))
    if (this.filters.nMels !== this.nMels || this.filters.nFreq !== this.fft.bins)
      throw new RangeError(`mel filters are [${this.filters.nMels}][${this.filters.nFreq}], expected [${this.nMels}][${this.fft.bins}]`)
    this.padded = new Float32Array(config.nSamples + 2 * this.pad)
    this.power = new Float64Array(this.fft.bins)
    this.output = new Float32Array(this.nMels * this.nFrames)
  }

  /**
   * Log-mel of `audio[0..length)` padded to `nSamples` (only the first `nSamples` are used
   * when longer). Returns `[nMels × nFrames]`, mel-major (row m is `out[m·nFrames …]`),
   * the layout of `input_features[0]`.
   *
   * The returned array is owned by this instance and overwritten by the next call:
   * copy it if you need it after that.
   */
  compute(audio: Float32Array, length: number = audio.length): Float32Array {
    if (!Number.isInteger(length) || length < 0 || length > audio.length)
      throw new RangeError(`length must be an integer in [0, ${audio.length}], got ${length}`)
    const {nSamples, pad, padded, hop, nFrames, nMels, output} = this
    const used = Math.min(length, nSamples)
    const last = pad + nSamples - 1

    if (used === audio.length) padded.set(audio, pad)
    else for (let i = 0; i < used; i++) padded[pad + i] = audio[i] // no subarray view: allocation-free
    padded.fill(this.paddingValue, pad + used, pad + nSamples)
    for (let i = 1; i <= pad; i++) {
      padded[pad - i] = padded[pad + i]
      padded[last + i] = padded[last - i]
    }

    // Frames that start after the audio ends see only zeros: their power is exactly 0.
    const silentFrom = this.paddingValue === 0 && used <= nSamples - 1 - pad ? pad + used : Infinity
    const silentLog = log10(MEL_FLOOR)
    let max = -Infinity
    for (let t = 0; t < nFrames; t++) {
      const start = t * hop
      if (start >= silentFrom) {
        for (let m = 0; m < nMels; m++) output[m * nFrames + t] = silentLog
        if (silentLog > max) max = silentLog
        continue
      }
      const v = this.melFrame(start, t)
      if (v > max) max = v
    }

    const floor = Math.fround(max) - DYNAMIC_RANGE
    for (let i = 0; i < output.length; i++) {
      const x = output[i]
      output[i] = ((x > floor ? x : floor) + OFFSET) / SCALE
    }
    return output
  }

  /** Writes log10 mel energies of the frame starting at padded[start] into column t; returns their max. */
  private melFrame(start: number, t: number): number {
    const {padded, window, power, output, nFrames} = this
    const {nMels, start: binStart, length: binCount, offset, weights} = this.filters
    this.fft.powerSpectrum(padded, start, window, power)
    let max = -Infinity
    for (let m = 0; m < nMels; m++) {
      const b0 = binStart[m]
      const w0 = offset[m] - b0
      const end = b0 + binCount[m]
      let sum = 0
      for (let k = b0; k < end; k++) sum += weights[w0 + k] * power[k]
      const v = log10(sum > MEL_FLOOR ? sum : MEL_FLOOR)
      output[m * nFrames + t] = v
      if (v > max) max = v
    }
    return max
  }
}
