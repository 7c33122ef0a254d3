// The generator's seeded weights as a whisper.cpp model file (ggml-model[-f16|-q8_0].bin), laid out
// as whisper.cpp's convert-pt-to-ggml.py writes it and whisper_model_load reads it: OpenAI's
// tensor names, PyTorch shapes, which tensors stay f32, q8_0 files as its quantize tool writes them.
import type {ModelDims} from './presets.js'
import {melFiltersPython} from './layouts.js'
import type {SpecialTokens} from './special-tokens.js'
import {baseVocab} from './tokenizer-files.js'
import {ByteSink, GGML_MAGIC, Q8_0_BLOCK, writeTensor, type GgmlTensor, type GgmlTensorType} from './ggml-file.js'
import {sinusoids, type WeightFactory} from './weights.js'

export type GgmlFtype = 'f32' | 'f16' | 'q8_0'
export const GGML_FTYPES: readonly GgmlFtype[] = ['f32', 'f16', 'q8_0']

/** whisper.cpp's file names for each type (models/download-ggml-model.sh naming). */
export const ggmlFileName = (ftype: GgmlFtype): string => (ftype === 'f16' ? 'ggml-model.bin' : `ggml-model-${ftype}.bin`)

/** hparams.ftype: ggml_ftype, plus GGML_QNT_VERSION (2) × 1000 for quantized files. */
const FTYPE_FIELD: Record<GgmlFtype, number> = {f32: 0, f16: 1, q8_0: 7 + 2 * 1000}

/** Tensor roles, which decide each one's storage type (whisper_model_load's wtype / vtype / f32). */
type Role = 'matrix' | 'conv' | 'f32'

function storage(role: Role, ftype: GgmlFtype): GgmlTensorType {
  if (ftype === 'f32' || role === 'f32') return 'f32'
  if (role === 'conv') return 'f16'
  return ftype
}

/** [fanIn, fanOut] (the ONNX MatMul layout the generator draws) → PyTorch's [out, in]. */
function transposed(weight: Float32Array, fanIn: number, fanOut: number): Float32Array {
  const out = new Float32Array(weight.length)
  for (let i = 0; i < fanIn; i++) for (let o = 0; o < fanOut; o++) out[o * fanIn + i] = weight[i * fanOut + o]!
  return out
}

/** GPT-2's bytes_to_unicode inverse: byte-level BPE characters → the bytes they stand for. */
function byteDecoder(): Map<string, number> {
  const printable: number[] = []
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b)
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b)
  for (let b = 0xae; b <= 0xff; b++) printable.push(b)
  const map = new Map<string, number>()
  for (const b of printable) map.set(String.fromCodePoint(b), b)
  let n = 0
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) map.set(String.fromCodePoint(256 + n++), b)
  return map
}

/** The regular tokens in id order as raw bytes (whisper.cpp's vocab: no specials, <|endoftext|> left out). */
export function ggmlVocab(special: SpecialTokens): Uint8Array[] {
  const decoder = byteDecoder()
  const byId: Uint8Array[] = []
  for (const [token, id] of Object.entries(baseVocab(special))) {
    byId[id] = Uint8Array.from(
      [...token].map((c) => {
        const b = decoder.get(c)
        if (b === undefined) throw new Error(`token ${id} has a character outside the byte alphabet`)
        return b
      }),
    )
  }
  if (byId.length !== special.endOfText || byId.some((b) => b === undefined))
    throw new Error('the base vocabulary must fill ids 0..endoftext-1')
  return byId
}

/** Every tensor whisper.cpp expects, in the generator's values, with the type `ftype` gives it. */
export function whisperTensors(
  dims: ModelDims,
  melBins: number,
  vocabSize: number,
  w: WeightFactory,
  ftype: GgmlFtype,
  logitGain = 1,
): GgmlTensor[] {
  const d = dims.dModel
  if (dims.encoderFfn !== 4 * d || dims.decoderFfn !== 4 * d) throw new Error('whisper.cpp models need ffn = 4 × d_model')
  if (ftype === 'q8_0' && d % Q8_0_BLOCK !== 0) throw new Error(`q8_0 needs d_model to be a multiple of ${Q8_0_BLOCK}`)
  const out: GgmlTensor[] = []
  const add = (name: string, shape: number[], data: Float32Array, role: Role): void => {
    out.push({name, shape, data, type: storage(role, ftype)})
  }
  const linear = (to: string, from: string, fanIn: number, fanOut: number, bias: boolean): void => {
    add(`${to}.weight`, [fanOut, fanIn], transposed(w.linear(`${from}.weight`, fanIn, fanOut), fanIn, fanOut), 'matrix')
    if (bias) add(`${to}.bias`, [fanOut], w.bias(`${from}.bias`, fanOut), 'f32')
  }
  const layerNorm = (to: string, from: string, gain = 1): void => {
    const scale = w.gamma(`${from}.weight`, d)
    add(`${to}.weight`, [d], gain === 1 ? scale : scale.map((v) => v * gain), 'f32')
    add(`${to}.bias`, [d], w.bias(`${from}.bias`, d), 'f32')
  }
  const attention = (to: string, from: string): void => {
    linear(`${to}.query`, `${from}.q_proj`, d, d, true)
    linear(`${to}.key`, `${from}.k_proj`, d, d, false)
    linear(`${to}.value`, `${from}.v_proj`, d, d, true)
    linear(`${to}.out`, `${from}.out_proj`, d, d, true)
  }
  const mlp = (to: string, from: string, ffn: number): void => {
    layerNorm(`${to}.mlp_ln`, `${from}.final_layer_norm`)
    linear(`${to}.mlp.0`, `${from}.fc1`, d, ffn, true)
    linear(`${to}.mlp.2`, `${from}.fc2`, ffn, d, true)
  }

  add('encoder.positional_embedding', [dims.maxSourcePositions, d], sinusoids(dims.maxSourcePositions, d), 'f32')
  for (const [i, inCh] of [
    [1, melBins],
    [2, d],
  ] as const) {
    const name = `model.encoder.conv${i}.weight`
    add(`encoder.conv${i}.weight`, [d, inCh, 3], w.conv(name, d, inCh, 3), 'conv')
    add(`encoder.conv${i}.bias`, [d, 1], w.bias(`model.encoder.conv${i}.bias`, d), 'f32')
  }
  for (let i = 0; i < dims.encoderLayers; i++) {
    const to = `encoder.blocks.${i}`
    const from = `model.encoder.layers.${i}`
    attention(`${to}.attn`, `${from}.self_attn`)
    layerNorm(`${to}.attn_ln`, `${from}.self_attn_layer_norm`)
    mlp(to, from, dims.encoderFfn)
  }
  layerNorm('encoder.ln_post', 'model.encoder.layer_norm')

  add(
    'decoder.positional_embedding',
    [dims.maxTargetPositions, d],
    w.embedding('model.decoder.embed_positions.weight', dims.maxTargetPositions, d),
    'f32',
  )
  add('decoder.token_embedding.weight', [vocabSize, d], w.embedding('model.decoder.embed_tokens.weight', vocabSize, d), 'matrix')
  for (let i = 0; i < dims.decoderLayers; i++) {
    const to = `decoder.blocks.${i}`
    const from = `model.decoder.layers.${i}`
    attention(`${to}.attn`, `${from}.self_attn`)
    layerNorm(`${to}.attn_ln`, `${from}.self_attn_layer_norm`)
    attention(`${to}.cross_attn`, `${from}.encoder_attn`)
    layerNorm(`${to}.cross_attn_ln`, `${from}.encoder_attn_layer_norm`)
    mlp(to, from, dims.decoderFfn)
  }
  layerNorm('decoder.ln', 'model.decoder.layer_norm', logitGain)
  return out
}

export interface GgmlWhisperOptions {
  dims: ModelDims
  melBins: number
  special: SpecialTokens
  weights: WeightFactory
  ftype: GgmlFtype
  /** The decoder's final LayerNorm gain (GenerateOptions.logitGain). */
  logitGain?: number
}

/** The whole file: magic, hparams, mel filters [n_mels][201], vocabulary, tensors. */
export function ggmlWhisperModel(o: GgmlWhisperOptions): Uint8Array {
  const {dims, melBins, special} = o
  const sink = new ByteSink()
  sink.int32(GGML_MAGIC)
  for (const value of [
    special.vocabSize,
    dims.maxSourcePositions,
    dims.dModel,
    dims.encoderHeads,
    dims.encoderLayers,
    dims.maxTargetPositions,
    dims.dModel,
    dims.decoderHeads,
    dims.decoderLayers,
    melBins,
    FTYPE_FIELD[o.ftype],
  ])
    sink.int32(value)

  const filters = melFiltersPython(melBins)
  const nFreq = filters.length
  const flat = new Float32Array(melBins * nFreq)
  for (let f = 0; f < nFreq; f++) for (let m = 0; m < melBins; m++) flat[m * nFreq + f] = filters[f]![m]!
  sink.int32(melBins)
  sink.int32(nFreq)
  sink.float32s(flat)

  const vocab = ggmlVocab(special)
  sink.int32(vocab.length)
  for (const token of vocab) {
    sink.int32(token.byteLength)
    sink.push(token)
  }

  for (const tensor of whisperTensors(dims, melBins, special.vocabSize, o.weights, o.ftype, o.logitGain)) writeTensor(sink, tensor)
  return sink.bytes()
}
