import type {Tensor} from '../../runtime/onnx.js'
import type {WhisperModel} from '../../model/whisper-model.js'
import {crossAttentionWeights, hasCrossAttentions} from '../decoder-runner.js'
import {tokenTimes} from './token-times.js'

/** How a result's word times were found. */
export type AlignmentMethod = 'dtw' | 'proportional'

/** Word timing by cross-attention needs the `_timestamped` decoder outputs and alignment heads in generation_config.json. */
export const canAlign = (model: WhisperModel): boolean =>
  model.generation.alignmentHeads.length > 0 && hasCrossAttentions(model.decoderSessions)

/**
 * Times, in seconds from the window's start, of every decoded token: `times[k]` is where token k
 * starts and `times[k + 1]` where it ends (the last end repeats the last start, as in
 * openai-whisper and transformers.js). `audioSamples` limits the frames searched to the audio heard.
 */
export async function alignTokens(
  model: WhisperModel,
  hidden: Tensor,
  initTokens: readonly number[],
  decoded: readonly number[],
  endedWithEndOfText: boolean,
  audioSamples: number,
): Promise<Float64Array> {
  // The positions generation fed: the start sequence, then each token but the last one chosen.
  const fed = endedWithEndOfText ? [...initTokens, ...decoded] : [...initTokens, ...decoded.slice(0, -1)]
  if (fed.length <= initTokens.length) return new Float64Array(0)
  const heads = model.generation.alignmentHeads
  const weights = await crossAttentionWeights(
    model.decoderSessions,
    model.decoderShape,
    fed,
    hidden,
    heads.map(([layer]) => layer),
  )
  const {hopLength} = model.preprocessor
  const frameSeconds = model.timePrecisionSamples / model.preprocessor.samplingRate
  const maxFrames = model.config.maxSourcePositions
  // openai-whisper: num_frames // 2 of the mel frames the audio fills.
  const frames = Math.max(1, Math.min(maxFrames, Math.floor(Math.floor(audioSamples / hopLength) / 2)))
  const rows = fed.length
  const matrices = heads.map(([layer, head]) => {
    const {data, dims} = weights.get(layer)!
    const total = dims[3]!
    const matrix = new Float32Array(rows * frames)
    for (let r = 0; r < rows; r++) {
      const from = (head * rows + r) * total
      matrix.set(data.subarray(from, from + frames), r * frames)
    }
    return matrix
  })
  const times = tokenTimes(
    {heads: matrices, rows, frames},
    {prefix: initTokens.length, filterWidth: model.generation.medianFilterWidth, secondsPerFrame: frameSeconds},
  )
  return times
}
