// Part of scenario "serve": whether running several sessions' encoder passes as one batch pays on this
// machine. The exports take a batch dimension; this prices one 30 s window at batch 1, 2, 4 and 6, the
// sizes interleaved round after round so drift in machine load hits all alike.
import {inputType, Tensor} from '../src/engine/runtime/onnx.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {median, msSince, now, round} from './stats.js'

export interface EncoderBatchRow {
  batch: number
  /** Median wall time of one batched call over its windows, ms. */
  msPerWindow: number | null
  /** msPerWindow over batch 1's. */
  ratio: number | null
}

export async function runEncoderBatch(
  model: WhisperModel,
  batches: readonly number[] = [1, 2, 4, 6],
  rounds = 5,
): Promise<EncoderBatchRow[]> {
  if (inputType(model.encoder, 'input_features') !== 'float32') return [] // float16-input exports: not priced
  const {melBins} = model.config
  const frames = model.inputFrames
  const window = new Float32Array(melBins * frames)
  for (let i = 0; i < window.length; i++) window[i] = Math.sin(i * 0.001) * 0.5 - 0.2
  const inputs = batches.map((batch) => {
    const data = new Float32Array(batch * window.length)
    for (let b = 0; b < batch; b++) data.set(window, b * window.length)
    return new Tensor('float32', data, [batch, melBins, frames])
  })
  const times: number[][] = batches.map(() => [])
  for (const input of inputs) await model.encoder.run({input_features: input}) // warm-up: first runs allocate
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? batches.map((_, i) => i) : batches.map((_, i) => batches.length - 1 - i)
    for (const i of order) {
      const start = now()
      await model.encoder.run({input_features: inputs[i]!})
      times[i]!.push(msSince(start) / batches[i]!)
    }
  }
  const single = median(times[0]!)
  return batches.map((batch, i) => {
    const ms = median(times[i]!)
    return {batch, msPerWindow: round(ms, 1), ratio: round(ms / single, 2)}
  })
}
