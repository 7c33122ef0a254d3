// trained-mini is built from the committed weights exactly as random models are built; its ONNX
// graphs must compute what PyTorch computed on the same weights (values stored by models/trainer/ship.py).
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {TrainedWeights, trainedWeightsPath} from '../../models/generator/trained-weights.js'
import {generationConfigJson} from '../../models/generator/config-files.js'
import {PRESETS} from '../../models/generator/index.js'
import {specialTokens} from '../../models/generator/special-tokens.js'
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

describe('TrainedWeights', () => {
  /** A safetensors file of F16 tensors holding 0, 1, 2, … (small integers, exact in half precision). */
  async function safetensors(tensors: Record<string, number[]>, manifest?: unknown): Promise<string> {
    const header: Record<string, unknown> = manifest === undefined ? {} : {__metadata__: {manifest: JSON.stringify(manifest)}}
    let offset = 0
    for (const [name, shape] of Object.entries(tensors)) {
      const bytes = 2 * shape.reduce((a, b) => a * b, 1)
      header[name] = {dtype: 'F16', shape, data_offsets: [offset, offset + bytes]}
      offset += bytes
    }
    const json = Buffer.from(JSON.stringify(header))
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(json.length))
    const halves = [0x0000, 0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600, 0x4700] // 0 … 7
    const data = Buffer.alloc(offset)
    let at = 0
    for (const shape of Object.values(tensors))
      for (let k = 0; k < shape.reduce((a, b) => a * b, 1); k++, at += 2) data.writeUInt16LE(halves[k]!, at)
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'trained-weights-')), 'w.safetensors')
    await writeFile(file, Buffer.concat([length, json, data]))
    return file
  }

  it('serves Linear weights transposed to [in, out], and names a missing, misshapen or unused tensor', async () => {
    const w = new TrainedWeights(await safetensors({'a.weight': [3, 2], 'b.weight': [4]}))
    // PyTorch [out 3, in 2] = [[0, 1], [2, 3], [4, 5]] → ONNX MatMul [in 2, out 3].
    expect(Array.from(w.linear('a.weight', 2, 3))).toEqual([0, 2, 4, 1, 3, 5])
    expect(() => w.gamma('b.weight', 5)).toThrow(/b.weight is \[4\], the preset wants \[5\]/)
    expect(() => w.bias('missing.bias', 4)).toThrow(/has no tensor missing.bias/)
    expect(() => w.assertAllUsed()).toThrow(/never used: b.weight/)
  })

  it('names the heads the trainer aligned with the words, and generation_config.json lists exactly those', async () => {
    const aligned = new TrainedWeights(await safetensors({'a.weight': [2]}, {alignmentHeads: [[1, 0]]}))
    expect(aligned.alignmentHeads).toEqual([[1, 0]])
    expect(generationConfigJson(dims, specialTokens(false, 99), aligned.alignmentHeads).alignment_heads).toEqual([[1, 0]])
    // Untaught: every head of the decoder's upper half, as Whisper assumes.
    const plain = new TrainedWeights(await safetensors({'a.weight': [2]}, {alignmentHeads: []}))
    expect(plain.alignmentHeads).toBeUndefined()
    expect(generationConfigJson(dims, specialTokens(false, 99), plain.alignmentHeads).alignment_heads).toEqual([
      [2, 0],
      [2, 1],
      [3, 0],
      [3, 1],
    ])
    const bad = new TrainedWeights(await safetensors({'a.weight': [2]}, {alignmentHeads: [[1]]}))
    expect(() => bad.alignmentHeads).toThrow(/alignmentHeads must be \[layer, head\] pairs/)
  })

  it("refuses weights trained with other dims than the preset's, naming them", async () => {
    const trained = {d: dims.dModel, heads: dims.decoderHeads, ffn: dims.decoderFfn, enc_layers: dims.encoderLayers}
    const same = new TrainedWeights(await safetensors({'a.weight': [2]}, {dims: {...trained, dec_layers: dims.decoderLayers}}))
    expect(() => same.assertDims(dims)).not.toThrow()
    const deeper = new TrainedWeights(await safetensors({'a.weight': [2]}, {dims: {...trained, dec_layers: dims.decoderLayers + 1}}))
    expect(() => deeper.assertDims(dims)).toThrow(
      `trained with dec_layers ${dims.decoderLayers + 1}; the preset has dec_layers ${dims.decoderLayers}`,
    )
  })
})
