// Whisper decoder graphs: merged (one file, If on use_cache_branch) or Optimum's split pair.
import {GraphBuilder, type Dim} from './onnx-graph.js'
import {Layers} from './layers.js'
import type {ModelDims} from './presets.js'
import type {WeightFactory} from './weights.js'

/** merged: decoder_model_merged; no-past: decoder_model; with-past: decoder_with_past_model. */
export type DecoderKind = 'merged' | 'no-past' | 'with-past'

const kv = ['key', 'value'] as const

interface Shape {
  d: number
  heads: number
  headDim: number
  layers: number
  ffn: number
  maxTargetPositions: number
  vocabSize: number
  /** The final LayerNorm's gain (presets.ts: logitGain). */
  logitGain: number
  /** Also output every layer's cross-attention weights as cross_attentions.N (the `_timestamped` exports). */
  crossAttentions: boolean
}

/**
 * The decoder as Optimum exports it. The merged file holds the whole decoder twice, one copy per
 * If branch (weights shared): the no-past branch projects encoder_hidden_states into cross-attention
 * K/V and outputs them; the with-past branch reads them from the past inputs and, like Optimum's
 * merge, outputs empty constants in their place, so a cached step never copies them.
 */
export function buildDecoder(
  kind: DecoderKind,
  dims: ModelDims,
  vocabSize: number,
  w: WeightFactory,
  logitGain = 1,
  crossAttentions = false,
): GraphBuilder {
  const g = new GraphBuilder(`whisper_decoder_${kind}`)
  const shape: Shape = {
    d: dims.dModel,
    heads: dims.decoderHeads,
    headDim: dims.dModel / dims.decoderHeads,
    layers: dims.decoderLayers,
    ffn: dims.decoderFfn,
    maxTargetPositions: dims.maxTargetPositions,
    vocabSize,
    logitGain,
    crossAttentions,
  }
  const {d, heads, headDim, layers} = shape
  const hasPast = kind !== 'no-past'
  const outputs: string[] = []

  // Inputs, in the order Optimum exports them.
  g.input('input_ids', 'int64', ['batch_size', 'decoder_sequence_length'])
  if (kind !== 'with-past') g.input('encoder_hidden_states', 'float', ['batch_size', 'encoder_sequence_length', d])
  const cacheDims = (len: Dim): Dim[] => ['batch_size', heads, len, headDim]
  if (hasPast) {
    for (let i = 0; i < layers; i++) {
      for (const t of kv) g.input(`past_key_values.${i}.decoder.${t}`, 'float', cacheDims('past_decoder_sequence_length'))
      for (const t of kv) g.input(`past_key_values.${i}.encoder.${t}`, 'float', cacheDims('encoder_sequence_length_out'))
    }
  }

  // Outputs.
  g.output('logits', 'float', ['batch_size', 'decoder_sequence_length', vocabSize])
  outputs.push('logits')
  for (let i = 0; i < layers; i++) {
    for (const t of kv) {
      const name = `present.${i}.decoder.${t}`
      g.output(name, 'float', cacheDims(hasPast ? 'past_decoder_sequence_length + decoder_sequence_length' : 'decoder_sequence_length'))
      outputs.push(name)
    }
    if (kind !== 'with-past') {
      for (const t of kv) {
        const name = `present.${i}.encoder.${t}`
        g.output(name, 'float', cacheDims('encoder_sequence_length_out'))
        outputs.push(name)
      }
    }
  }

  // onnx-community's `_timestamped` exports (Optimum with output_attentions): after softmax, per layer.
  if (crossAttentions) {
    for (let i = 0; i < layers; i++) {
      const name = `cross_attentions.${i}`
      g.output(name, 'float', ['batch_size', heads, 'decoder_sequence_length', 'encoder_sequence_length_out'])
      outputs.push(name)
    }
  }

  const L = new Layers(g, w)
  // Output projection tied to the token embedding (logits = h · Eᵀ); transposed once, outside the branches.
  const embedName = 'model.decoder.embed_tokens.weight'
  g.weight(embedName, w.embedding(embedName, vocabSize, d), [vocabSize, d])
  const projection = g.op('Transpose', [embedName], {perm: {ints: [1, 0]}})
  if (kind !== 'merged') {
    decoderBody(g, L, shape, {past: kind === 'with-past', emitCross: kind === 'no-past', named: true, projection})
    return g
  }
  const withPast = g.subgraph('with_past')
  const noPast = g.subgraph('no_past')
  for (const [branch, past] of [
    [withPast, true],
    [noPast, false],
  ] as const) {
    const values = decoderBody(branch, L.into(branch), shape, {past, emitCross: true, named: false, projection})
    for (const value of values) branch.output(value, 'float')
  }
  g.node('If', ['use_cache_branch'], {then_branch: {graph: withPast.build()}, else_branch: {graph: noPast.build()}}, outputs)
  g.input('use_cache_branch', 'bool', [1])
  return g
}

interface BodyOptions {
  /** Read self- and cross-attention K/V from the past inputs. */
  past: boolean
  /** Produce the present.N.encoder.* values (empty constants when `past`). */
  emitCross: boolean
  /** Name values after the graph outputs (a top-level graph); fresh names inside If branches. */
  named: boolean
  /** The transposed token embedding. */
  projection: string
}

/** Emits one decoder into `g`; returns its output values in output order. */
function decoderBody(g: GraphBuilder, L: Layers, shape: Shape, options: BodyOptions): string[] {
  const {d, heads, headDim, layers} = shape
  const name = (output: string): string | undefined => (options.named ? output : undefined)
  const outputs: string[] = []

  // Positions past_len .. past_len+seq-1 and the causal mask (key j hidden from query i when j > i + past_len).
  const squeeze = (x: string): string => g.op('Squeeze', [x, g.int64s([0])])
  const seqLen = squeeze(g.op('Shape', ['input_ids'], {start: {int: 1}, end: {int: 2}}))
  const pastLen = options.past
    ? squeeze(g.op('Shape', ['past_key_values.0.decoder.key'], {start: {int: 2}, end: {int: 3}}))
    : g.int64s([0], [])
  const one = g.int64s([1], [])
  const zero = g.int64s([0], [])
  const rows = g.op('Add', [g.op('Range', [zero, seqLen, one]), pastLen])
  const cols = g.op('Range', [zero, g.op('Add', [pastLen, seqLen]), one])
  const hidden = g.op('Greater', [g.op('Unsqueeze', [cols, g.int64s([0])]), g.op('Unsqueeze', [rows, g.int64s([1])])])
  const mask = g.op('Where', [hidden, g.scalar(-1e9), g.scalar(0)])

  const embed = 'model.decoder.embed_tokens.weight'
  const positionsName = 'model.decoder.embed_positions.weight'
  const positionTable = L.root.hasWeight(positionsName)
    ? positionsName
    : L.root.weight(positionsName, L.w.embedding(positionsName, shape.maxTargetPositions, d), [shape.maxTargetPositions, d])
  let x = g.op('Add', [g.op('Gather', [embed, 'input_ids']), g.op('Gather', [positionTable, rows])])

  const selfPresent: string[] = []
  const crossPresent: string[] = []
  const crossWeights: string[] = []
  for (let i = 0; i < layers; i++) {
    const p = `model.decoder.layers.${i}`
    // Causal self-attention over past + new tokens.
    let h = L.layerNorm(x, `${p}.self_attn_layer_norm`, d)
    const q = L.splitHeads(L.linear(h, `${p}.self_attn.q_proj`, d, d), heads, headDim)
    const kNew = L.splitHeads(L.linear(h, `${p}.self_attn.k_proj`, d, d, false), heads, headDim)
    const vNew = L.splitHeads(L.linear(h, `${p}.self_attn.v_proj`, d, d), heads, headDim)
    const present = (t: 'key' | 'value', fresh: string): string => {
      const output = name(`present.${i}.decoder.${t}`)
      return options.past
        ? g.op('Concat', [`past_key_values.${i}.decoder.${t}`, fresh], {axis: {int: 2}}, output)
        : g.op('Identity', [fresh], {}, output)
    }
    const k = present('key', kNew)
    const v = present('value', vNew)
    selfPresent.push(k, v)
    x = L.attentionOut(x, L.attend(q, k, v, headDim, mask), `${p}.self_attn`, d)

    // Cross-attention over the encoder output: projected once (no past), then read from the past.
    const cross = {key: '', value: ''}
    for (const t of kv) {
      if (options.past) {
        cross[t] = `past_key_values.${i}.encoder.${t}`
        if (options.emitCross) {
          const empty = g.weight(`empty_present_${i}_${t}_${g.name}`, new Float32Array(0), [0, heads, 1, headDim])
          crossPresent.push(g.op('Identity', [empty], {}, name(`present.${i}.encoder.${t}`)))
        }
      } else {
        const proj = t === 'key' ? 'k_proj' : 'v_proj'
        const y = L.linear('encoder_hidden_states', `${p}.encoder_attn.${proj}`, d, d, t === 'value')
        cross[t] = L.splitHeads(y, heads, headDim, name(`present.${i}.encoder.${t}`))
        crossPresent.push(cross[t])
      }
    }
    h = L.layerNorm(x, `${p}.encoder_attn_layer_norm`, d)
    const cq = L.splitHeads(L.linear(h, `${p}.encoder_attn.q_proj`, d, d), heads, headDim)
    const attended = L.attendWithWeights(
      cq,
      cross.key,
      cross.value,
      headDim,
      undefined,
      shape.crossAttentions ? name(`cross_attentions.${i}`) : undefined,
    )
    crossWeights.push(attended.weights)
    x = L.attentionOut(x, attended.out, `${p}.encoder_attn`, d)
    x = L.mlp(x, p, d, shape.ffn)
  }
  const final = L.layerNorm(x, 'model.decoder.layer_norm', d, undefined, shape.logitGain)
  outputs.push(g.op('MatMul', [final, options.projection], {}, name('logits')))
  for (let i = 0; i < layers; i++) {
    outputs.push(selfPresent[2 * i]!, selfPresent[2 * i + 1]!)
    if (options.emitCross) outputs.push(crossPresent[2 * i]!, crossPresent[2 * i + 1]!)
  }
  if (shape.crossAttentions) outputs.push(...crossWeights)
  return outputs
}
