// Shared fixtures for the feature tests: the transformers.js reference and test signals.
import {WhisperFeatureExtractor} from '@huggingface/transformers'

import {preprocessorConfigJson} from '../../../models/generator/config-files.js'
import {mulberry32} from '../../../models/generator/weights.js'
import {parsePreprocessorConfig, type PreprocessorConfig} from '../../../src/engine/features/preprocessor-config.js'

/** The fields of openai/whisper-* preprocessor_config.json (without mel_filters), as the generator writes them. */
export const whisperConfigJson = (melBins: 80 | 128): Record<string, unknown> => preprocessorConfigJson(melBins) as Record<string, unknown>

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

export const seeded = mulberry32

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
