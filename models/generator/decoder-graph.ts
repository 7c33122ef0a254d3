// Whisper decoder graphs: merged (one file, If on use_cache_branch) or Optimum's split pair.
import {GraphBuilder, type Dim} from './onnx-graph.js'
import {Layers} from './layers.js'
import type {ModelDims} from './presets.js'
import type {WeightFactory} from './weights.js'

/** merged: decoder_model_merged; no-past: decoder_model; with-past: decoder_with_past_model. */
export type DecoderKind = 'merged' | 'no-past' | 'with-past'

const kv = ['key', 'value'] as const

export function buildDecoder(kind: DecoderKind, dims: ModelDims, vocabSize: number, w: WeightFactory): GraphBuilder {
  const g = new GraphBuilder(`whisper_decoder_${kind}`)
  const L = new Layers(g, w)
  const d = dims.dModel
  const heads = dims.decoderHeads
  const headDim = d / heads
  const layers = dims.decoderLayers
  const hasPast = kind !== 'no-past'

  // Inputs, in the order Optimum exports them.
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length'])
  const encoderStates = kind === 'with-past'
    ? undefined
    : g.input('encoder_hidden_states', 'float', ['batch_size', 'encoder_sequence_length', d])
  const cacheDims = (len: Dim): Dim[] => ['batch_size', heads, len, headDim]
  if (hasPast) {
    for (let i = 0; i < layers; i++) {
      for (const t of kv) g.input(`past_key_values.${i}.decoder.${t}`, 'float', cacheDims('past_decoder_sequence_length'))
      for (const t of kv) g.input(`past_key_values.${i}.encoder.${t}`, 'float', cacheDims('encoder_sequence_length_out'))
    }
  }
  const useCache = kind === 'merged' ? g.input('use_cache_branch', 'bool', [1]) : undefined

  // Outputs.
  g.output('logits', 'float', ['batch_size', 'decoder_sequence_length', vocabSize])
  for (let i = 0; i < layers; i++) {
    for (const t of kv) g.output(`present.${i}.decoder.${t}`, 'float', cacheDims(hasPast ? 'past_decoder_sequence_length + decoder_sequence_length' : 'decoder_sequence_length'))
    if (kind !== 'with-past') {
      for (const t of kv) g.output(`present.${i}.encoder.${t}`, 'float', cacheDims('encoder_sequence_length_out'))
    }
  }

  // Cross-attention K/V per layer.
  const crossProjection = (into: Layers, i: number, t: 'key' | 'value', output?: string): string => {
    const proj = t === 'key' ? 'k_proj' : 'v_proj'
    const y = into.linear(encoderStates!, `model.decoder.layers.${i}.encoder_attn.${proj}`, d, d, t === 'value')
    return into.splitHeads(y, heads, headDim, output)
  }
  const cross: Array<Record<'key' | 'value', string>> = []
  if (kind === 'merged') {
    // The If's only job: reuse the cached encoder K/V, or project encoder_hidden_states.
    const thenG = g.subgraph('use_cache_then')
    const elseG = g.subgraph('use_cache_else')
    const elseL = L.into(elseG)
    const outputs: string[] = []
    for (let i = 0; i < layers; i++) {
      for (const t of kv) {
        const name = `present.${i}.encoder.${t}`
        outputs.push(name)
        const reused = thenG.op('Identity', [`past_key_values.${i}.encoder.${t}`])
        thenG.output(reused, 'float')
        elseG.output(crossProjection(elseL, i, t), 'float')
      }
    }
    g.node('If', [useCache!], {then_branch: {graph: thenG.build()}, else_branch: {graph: elseG.build()}}, outputs)
    for (let i = 0; i < layers; i++) cross.push({key: `present.${i}.encoder.key`, value: `present.${i}.encoder.value`})
  } else if (kind === 'no-past') {
    for (let i = 0; i < layers; i++) {
      cross.push({
        key: crossProjection(L, i, 'key', `present.${i}.encoder.key`),
        value: crossProjection(L, i, 'value', `present.${i}.encoder.value`),
      })
    }
  } else {
    for (let i = 0; i < layers; i++) {
      cross.push({key: `past_key_values.${i}.encoder.key`, value: `past_key_values.${i}.encoder.value`})
    }
  }

  // Positions past_len .. past_len+seq-1 and the causal mask (key j hidden from query i when j > i + past_len).
  const squeeze = (x: string): string => g.op('Squeeze', [x, g.int64s([0])])
  const seqLen = squeeze(g.op('Shape', [inputIds], {start: {int: 1}, end: {int: 2}}))
  const pastLen = hasPast
    ? squeeze(g.op('Shape', ['past_key_values.0.decoder.key'], {start: {int: 2}, end: {int: 3}}))
    : g.int64s([0], [])
  const one = g.int64s([1], [])
  const zero = g.int64s([0], [])
  const rows = g.op('Add', [g.op('Range', [zero, seqLen, one]), pastLen])
  const cols = g.op('Range', [zero, g.op('Add', [pastLen, seqLen]), one])
  const hidden = g.op('Greater', [g.op('Unsqueeze', [cols, g.int64s([0])]), g.op('Unsqueeze', [rows, g.int64s([1])])])
  const mask = g.op('Where', [hidden, g.scalar(-1e9), g.scalar(0)])

  const embed = g.weight('model.decoder.embed_tokens.weight', w.embedding('model.decoder.embed_tokens.weight', vocabSize, d), [vocabSize, d])
  const positionTable = g.weight(
    'model.decoder.embed_positions.weight',
    w.embedding('model.decoder.embed_positions.weight', dims.maxTargetPositions, d),
    [dims.maxTargetPositions, d],
  )
  let x = g.op('Add', [g.op('Gather', [embed, inputIds]), g.op('Gather', [positionTable, rows])])

  for (let i = 0; i < layers; i++) {
    const p = `model.decoder.layers.${i}`
    // Causal self-attention over past + new tokens.
    let h = L.layerNorm(x, `${p}.self_attn_layer_norm`, d)
    const q = L.splitHeads(L.linear(h, `${p}.self_attn.q_proj`, d, d), heads, headDim)
    const kNew = L.splitHeads(L.linear(h, `${p}.self_attn.k_proj`, d, d, false), heads, headDim)
    const vNew = L.splitHeads(L.linear(h, `${p}.self_attn.v_proj`, d, d), heads, headDim)
    const present = (t: 'key' | 'value', fresh: string): string => {
      const name = `present.${i}.decoder.${t}`
      return hasPast
        ? g.op('Concat', [`past_key_values.${i}.decoder.${t}`, fresh], {axis: {int: 2}}, name)
        : g.op('Identity', [fresh], {}, name)
    }
    const k = present('key', kNew)
    const v = present('value', vNew)
    x = L.attentionOut(x, L.attend(q, k, v, headDim, mask), `${p}.self_attn`, d)
    // Cross-attention over the encoder output.
    h = L.layerNorm(x, `${p}.encoder_attn_layer_norm`, d)
    const cq = L.splitHeads(L.linear(h, `${p}.encoder_attn.q_proj`, d, d), heads, headDim)
    x = L.attentionOut(x, L.attend(cq, cross[i].key, cross[i].value, headDim), `${p}.encoder_attn`, d)
    x = L.mlp(x, p, d, dims.decoderFfn)
  }
  const final = L.layerNorm(x, 'model.decoder.layer_norm', d)
  // Output projection tied to the token embedding: logits = h · Eᵀ.
  g.op('MatMul', [final, g.op('Transpose', [embed], {perm: {ints: [1, 0]}})], {}, 'logits')
  return g
}
