// trained-mini is built from the committed weights exactly as random models are built; its ONNX
// graphs must compute what PyTorch computed on the same weights (values stored by models/trainer/ship.py).
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {trainedWeightsPath} from '../../models/generator/trained-weights.js'
import {PRESETS} from '../../models/generator/index.js'
import {testModel} from '../helpers/test-models.js'

interface Parity {
  encoderRows: Record<string, number[]>
  decoderTokens: number[]
  logits: Record<string, number>
}

const dims = PRESETS['trained-mini']
const HEAD_DIM = dims.dModel / dims.decoderHeads

describe('trained-mini from models/trained/', () => {
  let dir: string
  let parity: Parity
  let encoder: ort.InferenceSession
  let decoder: ort.InferenceSession

  beforeAll(async () => {
    dir = await testModel('trained-mini')
    parity = (JSON.parse(await readFile(trainedWeightsPath('trained-mini.json'), 'utf8')) as {parity: Parity}).parity
    encoder = await ort.InferenceSession.create(path.join(dir, 'onnx', 'encoder_model.onnx'))
    decoder = await ort.InferenceSession.create(path.join(dir, 'onnx', 'decoder_model_merged.onnx'))
  })
  afterAll(async () => {
    await encoder?.release()
    await decoder?.release()
  })

  it('computes the encoder output and next-token logits PyTorch computed on the same weights', async () => {
    // The trainer's parity input: sin(0.1 m + 0.013 t) * cos(0.07 t) - 0.2.
    const features = new Float32Array(80 * 3000)
    for (let m = 0; m < 80; m++)
      for (let t = 0; t < 3000; t++) features[m * 3000 + t] = Math.sin(0.1 * m + 0.013 * t) * Math.cos(0.07 * t) - 0.2
    const {last_hidden_state: hidden} = await encoder.run({input_features: new ort.Tensor('float32', features, [1, 80, 3000])})
    const h = hidden!.data as Float32Array
    for (const [row, expected] of Object.entries(parity.encoderRows)) {
      const got = Array.from(h.subarray(Number(row) * dims.dModel, Number(row) * dims.dModel + expected.length))
      got.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 3))
    }

    const empty = new ort.Tensor('float32', new Float32Array(0), [1, dims.decoderHeads, 0, HEAD_DIM])
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(parity.decoderTokens.map(BigInt)), [1, parity.decoderTokens.length]),
      encoder_hidden_states: hidden!,
      use_cache_branch: new ort.Tensor('bool', new Uint8Array([0]), [1]),
    }
    for (let layer = 0; layer < dims.decoderLayers; layer++)
      for (const kind of ['decoder', 'encoder'])
        for (const part of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}.${part}`] = empty
    const {logits} = await decoder.run(feeds)
    const vocab = logits!.dims[2]!
    const last = (logits!.data as Float32Array).subarray((parity.decoderTokens.length - 1) * vocab)
    for (const [token, expected] of Object.entries(parity.logits)) expect(last[Number(token)]).toBeCloseTo(expected, 2)
    // Rows the trainer never used are exactly zero, so their logits are exactly 0.
    expect(last[220]).toBe(0)
  })
})
