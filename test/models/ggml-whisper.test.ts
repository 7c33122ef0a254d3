// The whisper.cpp model file the generator writes: its layout (as whisper_model_load reads it), the
// q8_0/f16 encodings, and whisper.cpp itself (@napi-rs/whisper) loading it and decoding the same
// greedy tokens as our engine on the same weights.
import {Whisper, WhisperFullParams, WhisperSamplingStrategy} from '@napi-rs/whisper'
import {describe, expect, it} from 'vitest'
import {fromHalf, GGML_MAGIC, GgmlType, quantizeQ8_0, toHalf} from '../../models/generator/ggml-file.js'
import {ggmlWhisperModel, type GgmlFtype} from '../../models/generator/ggml-whisper.js'
import {PRESETS} from '../../models/generator/presets.js'
import {specialTokens} from '../../models/generator/special-tokens.js'
import {WeightFactory} from '../../models/generator/weights.js'
import {WindowTranscriber} from '../../src/engine/decode/window-transcriber.js'
import {WhisperModel} from '../../src/engine/model/whisper-model.js'
import {testModel} from '../helpers/test-models.js'

const mini = PRESETS.mini
const special = specialTokens(false, 99)
const file = (ftype: GgmlFtype, logitGain = 1): Uint8Array =>
  ggmlWhisperModel({dims: mini, melBins: 80, special, weights: new WeightFactory(1), ftype, logitGain})

interface Record_ {
  name: string
  type: number
  ne: number[]
  bytes: number
}

/** Reads the file back the way whisper_model_load does. */
function parse(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const int = (): number => {
    const v = view.getInt32(at, true)
    at += 4
    return v
  }
  const magic = view.getUint32(0, true)
  at = 4
  const hparams = Array.from({length: 11}, int)
  const [nMel, nFft] = [int(), int()]
  const filters = new Float32Array(bytes.slice(at, at + nMel * nFft * 4).buffer)
  at += nMel * nFft * 4
  const nVocab = int()
  const vocab: string[] = []
  for (let i = 0; i < nVocab; i++) {
    const len = int()
    vocab.push(new TextDecoder().decode(bytes.subarray(at, at + len)))
    at += len
  }
  const tensors: Record_[] = []
  while (at < bytes.byteLength) {
    const [dims, nameLength, type] = [int(), int(), int()]
    const ne = Array.from({length: dims}, int)
    const name = new TextDecoder().decode(bytes.subarray(at, at + nameLength))
    at += nameLength
    const elements = ne.reduce((a, b) => a * b, 1)
    const size = type === GgmlType.f32 ? elements * 4 : type === GgmlType.f16 ? elements * 2 : (elements / 32) * 34
    tensors.push({name, type, ne, bytes: size})
    at += size
  }
  expect(at).toBe(bytes.byteLength)
  return {magic, hparams, nMel, nFft, filters, vocab, tensors}
}

describe('ggml file layout', () => {
  it('writes the header, filters, byte-level vocabulary and every tensor whisper.cpp expects', () => {
    const f = parse(file('f16'))
    expect(f.magic).toBe(GGML_MAGIC)
    expect(f.hparams).toEqual([51864, 1500, 64, 2, 2, 448, 64, 2, 2, 80, 1])
    expect([f.nMel, f.nFft]).toEqual([80, 201])
    // Each mel filter is a triangle: some weight, nothing negative.
    expect(f.filters.slice(0, 201).some((v) => v > 0)).toBe(true)
    expect(f.filters.every((v) => v >= 0)).toBe(true)
    // GPT-2's tokens as the bytes they stand for ("Ġthe" → " the"), <|endoftext|> left to whisper.cpp.
    expect(f.vocab.length).toBe(50256)
    expect(f.vocab[262]).toBe(' the')
    expect(f.vocab[0]).toBe('!')
    // whisper.cpp: 11 top-level tensors, 15 per encoder block, 24 per decoder block.
    expect(f.tensors.length).toBe(11 + 15 * 2 + 24 * 2)
    const byName = new Map(f.tensors.map((t) => [t.name, t]))
    expect(byName.get('encoder.conv1.weight')).toMatchObject({ne: [3, 80, 64], type: GgmlType.f16})
    expect(byName.get('encoder.conv1.bias')).toMatchObject({ne: [1, 64], type: GgmlType.f32})
    expect(byName.get('encoder.positional_embedding')).toMatchObject({ne: [64, 1500], type: GgmlType.f32})
    expect(byName.get('decoder.positional_embedding')).toMatchObject({ne: [64, 448], type: GgmlType.f32})
    expect(byName.get('decoder.token_embedding.weight')).toMatchObject({ne: [64, 51864], type: GgmlType.f16})
    expect(byName.get('decoder.blocks.1.mlp.0.weight')).toMatchObject({ne: [64, 256], type: GgmlType.f16})
    expect(byName.get('decoder.blocks.1.cross_attn.key.weight')).toMatchObject({ne: [64, 64], type: GgmlType.f16})
    expect(byName.has('decoder.blocks.1.cross_attn.key.bias')).toBe(false)
    expect(byName.get('decoder.ln.weight')).toMatchObject({ne: [64], type: GgmlType.f32})
  })

  it('stores matrices in the file type, conv weights in f16 for quantized files, the rest in f32', () => {
    const types = (ftype: GgmlFtype) => new Map(parse(file(ftype)).tensors.map((t) => [t.name, t.type]))
    const f32 = types('f32')
    expect([...f32.values()].every((t) => t === GgmlType.f32)).toBe(true)
    const q8 = types('q8_0')
    expect(parse(file('q8_0')).hparams[10]).toBe(2007)
    expect(q8.get('encoder.blocks.0.attn.query.weight')).toBe(GgmlType.q8_0)
    expect(q8.get('decoder.token_embedding.weight')).toBe(GgmlType.q8_0)
    expect(q8.get('encoder.conv2.weight')).toBe(GgmlType.f16)
    expect(q8.get('encoder.blocks.0.attn.query.bias')).toBe(GgmlType.f32)
  })

  it('encodes f16 with round-to-nearest-even and q8_0 blocks as fp16 scale + 32 int8', () => {
    for (const v of [0, 1, -2.5, 65504, 1e-7, 0.1, 3.14159])
      expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) / 1024, 2 ** -25)) // subnormals: half a step of 2^-24
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00) // a tie rounds to the even mantissa
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02)
    const values = Float32Array.from({length: 64}, (_, i) => Math.sin(i) * (i < 32 ? 1 : 100))
    const q = quantizeQ8_0(values)
    expect(q.byteLength).toBe(2 * 34)
    const view = new DataView(q.buffer)
    for (let b = 0; b < 2; b++) {
      const d = fromHalf(view.getUint16(b * 34, true))
      const max = Math.max(...values.slice(b * 32, b * 32 + 32).map(Math.abs))
      expect(d).toBeCloseTo(max / 127, 2)
      for (let i = 0; i < 32; i++)
        expect(Math.abs(view.getInt8(b * 34 + 2 + i) * d - values[b * 32 + i]!)).toBeLessThanOrEqual(d * 0.51 + max * 1e-3)
    }
  })
})

/** Two seconds of a deterministic chirp with a pause: input the random model decodes without a tie. */
function chirp(): Float32Array {
  return Float32Array.from({length: 32_000}, (_, i) =>
    i % 16_000 < 12_000 ? 0.4 * Math.sin((i / 16_000) * 2 * Math.PI * (200 + i / 40)) : 0,
  )
}

describe('whisper.cpp (@napi-rs/whisper) on the generated file', () => {
  const tokens = 8

  function whisperCpp(bytes: Uint8Array, audio: Float32Array): {text: string; model: Whisper} {
    const model = new Whisper(bytes)
    const params = new WhisperFullParams(WhisperSamplingStrategy.Greedy)
    params.nThreads = 1
    params.language = 'en'
    params.noTimestamps = true
    params.singleSegment = true
    params.noContext = true
    params.suppressNonSpeechTokens = true // as generation_config's suppress_tokens
    params.maxTokens = tokens - 1 // whisper.cpp stops after max_tokens + 1 sampled tokens
    params.printProgress = false
    return {text: model.full(params, audio), model}
  }

  it.each(['f16', 'q8_0'] as const)(
    'loads the %s file and decodes the greedy tokens our engine decodes on the same weights',
    async (ftype) => {
      // The final LayerNorm gain scales every logit alike, so greedy tokens cannot change; without it,
      // whisper.cpp's temperature fallback (avg log-prob below -1, always so for random weights)
      // would replace its greedy pass with sampling.
      const {text, model} = whisperCpp(file(ftype, 50), chirp())
      expect(model.modelNVocab).toBe(51864)
      expect(model.modelNAudioLayer).toBe(2)
      expect(model.modelFtype).toBe(ftype === 'f16' ? 1 : 7)

      const ours = await WhisperModel.load(await testModel('mini'), {threads: 1})
      const window = new WindowTranscriber(ours, {timestamps: false, loop: undefined, language: 'en', temperatures: [0]})
      const audio = chirp()
      const result = await window.transcribe(audio, audio.length, [], {maxNewTokens: tokens})
      expect(result.tokens.length).toBe(tokens)
      expect(text.length).toBeGreaterThan(0)
      expect(text).toBe(ours.tokenizer.decode(result.tokens))
    },
    120_000,
  )
})
