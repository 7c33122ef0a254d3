// Scenario "decode": milliseconds per token, KV-cached against uncached, at fixed token counts
// (end-of-text suppressed, so both paths do exactly the same number of decoder calls), and the
// cost of one 30 s window's log-mel and encoder pass.
import {CachedDecoder, UncachedDecoder, type DecoderRunner} from '../src/engine/decode/decoder-runner.js'
import {argmax} from '../src/engine/decode/logits-rules.js'
import {WindowTranscriber} from '../src/engine/decode/window-transcriber.js'
import {LogMel} from '../src/engine/features/log-mel.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import type {Tensor} from '../src/engine/runtime/onnx.js'
import {loopTo} from './audio.js'
import {median, msSince, now, round} from './stats.js'
import type {Progress} from './progress.js'
import {runWindowCost, type WindowCostRow} from './window-cost.js'

export interface DecodeOptions {
  lengths: number[]
  /** Runs per (length, path), alternating cached and uncached; the median counts. */
  reps: number
  encoderReps: number
  /** Runs of each decoding variant over one 30 s window (0 skips the window-cost table). */
  windowReps: number
}

export const defaultDecodeOptions: DecodeOptions = {lengths: [16, 32, 64, 128, 224], reps: 3, encoderReps: 5, windowReps: 3}

export interface DecodeRow {
  tokens: number
  cachedMsPerToken: number | null
  uncachedMsPerToken: number | null
  /** uncached / cached. */
  speedup: number | null
}

export interface DecodeResult {
  rows: DecodeRow[]
  /** Log-mel of one 30 s window, ms (median). */
  melMs: number | null
  /** Encoder pass over one 30 s window, ms (median). */
  encoderMs: number | null
  promptTokens: number
  /** Whole-window cost of Whisper's decoding machinery against greedy decoding. */
  window?: WindowCostRow[]
}

/** Decodes exactly `count` tokens (the first from start(), the rest from next()) and returns the wall time in ms. */
export async function timeTokens(
  decoder: DecoderRunner,
  init: readonly number[],
  hidden: Tensor,
  count: number,
  endOfText: number,
): Promise<number> {
  const start = now()
  let logits = await decoder.start(init, hidden)
  for (let i = 1; i < count; i++) {
    logits[endOfText] = -Infinity
    logits = await decoder.next(argmax(logits))
  }
  return msSince(start)
}

export async function runDecode(
  model: WhisperModel,
  clip: Float32Array,
  options: DecodeOptions,
  progress: Progress,
  /** The same weights with the `_timestamped` outputs, to price word timestamps (DTW). */
  aligned?: WhisperModel,
): Promise<DecodeResult> {
  const {nSamples} = model.preprocessor
  const audio = loopTo(clip, nSamples / model.preprocessor.samplingRate)
  const mel = new LogMel(model.preprocessor)
  const melTimes: number[] = []
  const encoderTimes: number[] = []
  let hidden: Tensor | undefined
  for (let i = 0; i < options.encoderReps; i++) {
    let t = now()
    const features = mel.compute(audio, audio.length)
    melTimes.push(msSince(t))
    const input = model.featuresInput(features)
    input.update()
    t = now()
    hidden = await model.encode(input.tensor)
    encoderTimes.push(msSince(t))
  }
  const init = new WindowTranscriber(model, {timestamps: false, loop: undefined}).initTokens([])
  const cached = new CachedDecoder(model.decoderSessions, model.decoderShape)
  const uncached = new UncachedDecoder(model.decoderSessions, model.decoderShape)
  const eot = model.special.endOfText
  const room = model.config.maxTargetPositions - init.length
  // Warm-up: the first runs of a session allocate.
  await timeTokens(cached, init, hidden!, 4, eot)
  await timeTokens(uncached, init, hidden!, 4, eot)
  const rows: DecodeRow[] = []
  const lengths = options.lengths.filter((n) => n >= 1 && n <= room)
  const total = lengths.reduce((sum, n) => sum + n * options.reps * 2, 0)
  let done = 0
  for (const tokens of lengths) {
    const c: number[] = []
    const u: number[] = []
    for (let rep = 0; rep < options.reps; rep++) {
      // Alternate the order so drift in machine load hits both paths alike.
      const order: Array<[DecoderRunner, number[]]> =
        rep % 2 === 0
          ? [
              [cached, c],
              [uncached, u],
            ]
          : [
              [uncached, u],
              [cached, c],
            ]
      for (const [decoder, times] of order) {
        times.push((await timeTokens(decoder, init, hidden!, tokens, eot)) / tokens)
        done += tokens
        progress.update(done / total, `decode: ${tokens} tokens`)
      }
    }
    const cm = median(c)
    const um = median(u)
    rows.push({tokens, cachedMsPerToken: round(cm, 3), uncachedMsPerToken: round(um, 3), speedup: round(um / cm, 2)})
  }
  const result: DecodeResult = {
    rows,
    melMs: round(median(melTimes), 1),
    encoderMs: round(median(encoderTimes), 1),
    promptTokens: init.length,
  }
  if (options.windowReps > 0) result.window = await runWindowCost(model, clip, options.windowReps, progress, aligned)
  return result
}
