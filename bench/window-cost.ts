// Part of scenario "decode": what Whisper's decoding machinery (fallback, beams) costs per 30 s window of speech,
// as wall time of the whole window (log-mel, encoder, decoding) against plain greedy decoding,
// each variant run in turn so drift in machine load hits all alike; ratios are from one run.
import {WindowTranscriber, type DecodingOptions} from '../src/engine/decode/window-transcriber.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {loopTo} from './audio.js'
import type {Progress} from './progress.js'
import {median, msSince, now, round} from './stats.js'

export interface WindowCostRow {
  variant: string
  /** Median wall time of one window, ms. */
  ms: number | null
  /** Decodes run per window (the fallback's tries). */
  attempts: number
  tokens: number
  /** ms over greedy's ms. */
  ratio: number | null
}

const variants: Array<{variant: string; options: Partial<DecodingOptions>}> = [
  {variant: 'greedy (temperature 0 only)', options: {temperatures: [0]}},
  // A log-probability threshold no decode can pass: every temperature of Whisper's schedule runs.
  {variant: 'fallback through all 6 temperatures', options: {thresholds: {compressionRatio: 2.4, logprob: Infinity, noSpeech: undefined}}},
  {variant: 'beam search, 5 beams (temperature 0 only)', options: {temperatures: [0], beamSize: 5}},
]

export async function runWindowCost(model: WhisperModel, clip: Float32Array, reps: number, progress: Progress): Promise<WindowCostRow[]> {
  const audio = loopTo(clip, model.preprocessor.nSamples / model.preprocessor.samplingRate)
  const transcribers = variants.map(({options}) => new WindowTranscriber(model, options))
  const times: number[][] = variants.map(() => [])
  const attempts = variants.map(() => 0)
  const tokens = variants.map(() => 0)
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const i = rep % 2 === 0 ? k : variants.length - 1 - k
      progress.update((rep * variants.length + k) / (reps * variants.length), `decode: window cost, ${variants[i]!.variant}`)
      const start = now()
      const result = await transcribers[i]!.transcribe(audio, audio.length, [])
      times[i]!.push(msSince(start))
      attempts[i] = result.attempts
      tokens[i] = result.decoded.length
    }
  }
  const greedy = median(times[0]!)
  return variants.map(({variant}, i) => {
    const ms = median(times[i]!)
    return {variant, ms: round(ms, 1), attempts: attempts[i]!, tokens: tokens[i]!, ratio: round(ms / greedy, 2)}
  })
}
