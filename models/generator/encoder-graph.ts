// Whisper encoder: two convolutions, sinusoidal positions, pre-LN blocks, final LayerNorm.
import {GraphBuilder} from './onnx-graph.js'
import {Layers} from './layers.js'
import type {ModelDims} from './presets.js'
import {sinusoids, type WeightFactory} from './weights.js'

export function buildEncoder(dims: ModelDims, nMels: number, w: WeightFactory): GraphBuilder {
  const g = new GraphBuilder('whisper_encoder')
  const L = new Layers(g, w)
  const d = dims.dModel
  const frames = dims.maxSourcePositions * 2
  const headDim = d / dims.encoderHeads
  const x0 = g.input('input_features', 'float', ['batch_size', nMels, frames])

  const conv = (x: string, name: string, inCh: number, stride: number): string => {
    const weight = g.weight(`${name}.weight`, w.conv(`${name}.weight`, d, inCh, 3), [d, inCh, 3])
    const bias = g.weight(`${name}.bias`, w.bias(`${name}.bias`, d), [d])
    const y = g.op('Conv', [x, weight, bias], {
      kernel_shape: {ints: [3]},
      pads: {ints: [1, 1]},
      strides: {ints: [stride]},
    })
    return L.gelu(y)
  }
  const c1 = conv(x0, 'model.encoder.conv1', nMels, 1)
  const c2 = conv(c1, 'model.encoder.conv2', d, 2)
  const seq = g.op('Transpose', [c2], {perm: {ints: [0, 2, 1]}})
  const positions = g.weight('model.encoder.embed_positions.weight', sinusoids(dims.maxSourcePositions, d), [dims.maxSourcePositions, d])
  let x = g.op('Add', [seq, positions])

  for (let i = 0; i < dims.encoderLayers; i++) {
    const p = `model.encoder.layers.${i}`
    const h = L.layerNorm(x, `${p}.self_attn_layer_norm`, d)
    const q = L.splitHeads(L.linear(h, `${p}.self_attn.q_proj`, d, d), dims.encoderHeads, headDim)
    const k = L.splitHeads(L.linear(h, `${p}.self_attn.k_proj`, d, d, false), dims.encoderHeads, headDim)
    const v = L.splitHeads(L.linear(h, `${p}.self_attn.v_proj`, d, d), dims.encoderHeads, headDim)
    x = L.attentionOut(x, L.attend(q, k, v, headDim), `${p}.self_attn`, d)
    x = L.mlp(x, p, d, dims.encoderFfn)
  }
  L.layerNorm(x, 'model.encoder.layer_norm', d, 'last_hidden_state')
  g.output('last_hidden_state', 'float', ['batch_size', dims.maxSourcePositions, d])
  return g
}
