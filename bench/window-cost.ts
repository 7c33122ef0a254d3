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

/**
 * `aligned`: the same weights with the `_timestamped` decoder outputs; word timestamps (one more
 * decoder pass over the tokens, then DTW) are priced on it against greedy decoding on it.
 */
export async function runWindowCost(
  model: WhisperModel,
  clip: Float32Array,
  reps: number,
  progress: Progress,
  aligned?: WhisperModel,
): Promise<WindowCostRow[]> {
  const audio = loopTo(clip, model.preprocessor.nSamples / model.preprocessor.samplingRate)
  const runs = [...variants.map((v) => ({...v, model}))]
  if (aligned) {
    runs.push({variant: 'greedy on the _timestamped model', options: {temperatures: [0]}, model: aligned})
    runs.push({
      variant: 'greedy + word timestamps (DTW), _timestamped model',
      options: {temperatures: [0], wordTimestamps: true},
      model: aligned,
    })
  }
  const transcribers = runs.map(({options, model: m}) => new WindowTranscriber(m, options))
  const times: number[][] = runs.map(() => [])
  const attempts = runs.map(() => 0)
  const tokens = runs.map(() => 0)
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < runs.length; k++) {
      const i = rep % 2 === 0 ? k : runs.length - 1 - k
      progress.update((rep * runs.length + k) / (reps * runs.length), `decode: window cost, ${runs[i]!.variant}`)
      const start = now()
      const result = await transcribers[i]!.transcribe(audio, audio.length, [])
      times[i]!.push(msSince(start))
      attempts[i] = result.attempts
      tokens[i] = result.decoded.length
    }
  }
  // Each row against greedy on the same model: the first row, or the timestamped twin's greedy row.
  return runs.map(({variant, model: m}, i) => {
    const ms = median(times[i]!)
    const base = median(times[m === model ? 0 : variants.length]!)
    return {variant, ms: round(ms, 1), attempts: attempts[i]!, tokens: tokens[i]!, ratio: round(ms / base, 2)}
  })
}
