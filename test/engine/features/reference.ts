// Shared fixtures for the feature tests: the transformers.js reference and test signals.
import {WhisperFeatureExtractor} from '@huggingface/transformers'

import {parsePreprocessorConfig, type PreprocessorConfig} from '../../../src/engine/features/preprocessor-config.js'

/** The fields of openai/whisper-* preprocessor_config.json (without mel_filters). */
export function whisperConfigJson(melBins: 80 | 128): Record<string, unknown> {
  return {
    chunk_length: 30,
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: melBins,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: 'right',
    padding_value: 0.0,
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    sampling_rate: 16000,
  }
}

export const whisperConfig = (melBins: 80 | 128): PreprocessorConfig =>
  parsePreprocessorConfig(whisperConfigJson(melBins), 'preprocessor_config.json')

type Extractor = {
  config: {mel_filters: number[][]}
  (audio: Float32Array): Promise<{input_features: {data: Float32Array; dims: number[]}}>
}

const extractors = new Map<number, Extractor>()

/** transformers.js's WhisperFeatureExtractor built from the same config (cached per mel count). */
export function referenceExtractor(melBins: 80 | 128): Extractor {
  let fe = extractors.get(melBins)
  if (!fe) {
    fe = new WhisperFeatureExtractor(whisperConfigJson(melBins)) as unknown as Extractor
    extractors.set(melBins, fe)
  }
  return fe
}

export async function referenceLogMel(melBins: 80 | 128, audio: Float32Array): Promise<Float32Array> {
  const out = await referenceExtractor(melBins)(audio)
  expectDims(out.input_features.dims, [1, melBins, 3000])
  return out.input_features.data
}

function expectDims(actual: number[], expected: number[]): void {
  if (actual.join() !== expected.join()) throw new Error(`reference dims ${actual.join()} != ${expected.join()}`)
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`)
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (!(d <= worst)) worst = d // NaN propagates as a failure
  }
  return worst
}

/** mulberry32: a small seeded PRNG in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const RATE = 16000

export function whiteNoise(samples: number, seed: number, amplitude = 0.5): Float32Array {
  const rnd = seeded(seed)
  return Float32Array.from({length: samples}, () => amplitude * (2 * rnd() - 1))
}

/** Exponential sine sweep from f0 to f1 Hz. */
export function sineSweep(samples: number, f0 = 40, f1 = 7900, amplitude = 0.8): Float32Array {
  const duration = samples / RATE
  const k = Math.log(f1 / f0)
  return Float32Array.from({length: samples}, (_, i) => {
    const t = i / RATE
    return amplitude * Math.sin(((2 * Math.PI * f0 * duration) / k) * (Math.exp((t / duration) * k) - 1))
  })
}

/** Voiced-speech-like: harmonics of a gliding pitch with a syllabic envelope, plus faint noise. */
export function speechLike(samples: number, seed: number): Float32Array {
  const rnd = seeded(seed)
  let phase = 0
  return Float32Array.from({length: samples}, (_, i) => {
    const t = i / RATE
    const f0 = 120 + 30 * Math.sin(2 * Math.PI * 0.7 * t)
    phase += (2 * Math.PI * f0) / RATE
    let v = 0
    for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / h
    const envelope = 0.5 * (1 - Math.cos(2 * Math.PI * 4 * t))
    return 0.2 * envelope * v + 0.01 * (2 * rnd() - 1)
  })
}
