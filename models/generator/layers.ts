// Transformer building blocks (pre-LN Whisper style) expressed as ONNX nodes.
import type {GraphBuilder} from './onnx-graph.js'
import type {WeightFactory} from './weights.js'

/**
 * Emits nodes into `g` and registers weights in `root` (the top-level graph). They differ only
 * inside an If branch, whose nodes may read the outer graph's initializers.
 */
export class Layers {
  constructor(
    readonly g: GraphBuilder,
    readonly w: WeightFactory,
    readonly root: GraphBuilder = g,
  ) {}

  /** The same weights, emitting into another (sub)graph. */
  into(g: GraphBuilder): Layers {
    return new Layers(g, this.w, this.root)
  }

  /** x @ W (+ b). W is stored [fanIn, fanOut] as in HF ONNX exports; biases start at zero. */
  linear(x: string, prefix: string, fanIn: number, fanOut: number, bias = true): string {
    const name = `${prefix}.weight`
    const weight = this.root.hasWeight(name) ? name : this.root.weight(name, this.w.linear(name, fanIn, fanOut), [fanIn, fanOut])
    const y = this.g.op('MatMul', [x, weight])
    if (!bias) return y
    const b = this.root.weight(`${prefix}.bias`, this.w.bias(`${prefix}.bias`, fanOut), [fanOut])
    return this.g.op('Add', [y, b])
  }

  /** LayerNormalization over the last axis; gamma (1 for random weights) times `gain`, beta (0 for random weights). */
  layerNorm(x: string, prefix: string, dim: number, output?: string, gain = 1): string {
    const scale = this.w.gamma(`${prefix}.weight`, dim)
    const gamma = this.root.weight(`${prefix}.weight`, gain === 1 ? scale : scale.map((v) => v * gain), [dim])
    const beta = this.root.weight(`${prefix}.bias`, this.w.bias(`${prefix}.bias`, dim), [dim])
    return this.g.op('LayerNormalization', [x, gamma, beta], {axis: {int: -1}, epsilon: {float: 1e-5}}, output)
  }

  /** Exact GELU: 0.5 * x * (1 + erf(x / sqrt 2)). */
  gelu(x: string): string {
    const g = this.g
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)])])
    const inner = g.op('Mul', [x, g.op('Add', [erf, g.scalar(1)])])
    return g.op('Mul', [inner, g.scalar(0.5)])
  }

  /** [b, s, heads*headDim] → [b, heads, s, headDim]. */
  splitHeads(x: string, heads: number, headDim: number, output?: string): string {
    const r = this.g.op('Reshape', [x, this.g.int64s([0, 0, heads, headDim])])
    return this.g.op('Transpose', [r], {perm: {ints: [0, 2, 1, 3]}}, output)
  }

  /** [b, heads, s, headDim] → [b, s, heads*headDim]. */
  mergeHeads(x: string, dim: number): string {
    const t = this.g.op('Transpose', [x], {perm: {ints: [0, 2, 1, 3]}})
    return this.g.op('Reshape', [t, this.g.int64s([0, 0, dim])])
  }

  /** softmax(q kᵀ · scale + mask) v over [b, heads, s, headDim] tensors. */
  attend(q: string, k: string, v: string, headDim: number, mask?: string): string {
    return this.attendWithWeights(q, k, v, headDim, mask).out
  }

  /** `attend`, also handing back the attention weights (softmax output, [b, heads, s, keys]), named `weightsName` if given. */
  attendWithWeights(q: string, k: string, v: string, headDim: number, mask?: string, weightsName?: string): {out: string; weights: string} {
    const g = this.g
    const kT = g.op('Transpose', [k], {perm: {ints: [0, 1, 3, 2]}})
    let scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(headDim))])
    if (mask) scores = g.op('Add', [scores, mask])
    const weights = g.op('Softmax', [scores], {axis: {int: -1}}, weightsName)
    return {out: g.op('MatMul', [weights, v]), weights}
  }

  /** Attention output projection and residual add. */
  attentionOut(residual: string, heads: string, prefix: string, dim: number): string {
    const merged = this.mergeHeads(heads, dim)
    return this.g.op('Add', [residual, this.linear(merged, `${prefix}.out_proj`, dim, dim)])
  }

  /** Pre-LN feed-forward block with residual: x + fc2(gelu(fc1(ln(x)))). */
  mlp(x: string, prefix: string, dim: number, ffn: number): string {
    const h = this.layerNorm(x, `${prefix}.final_layer_norm`, dim)
    const up = this.gelu(this.linear(h, `${prefix}.fc1`, dim, ffn))
    return this.g.op('Add', [x, this.linear(up, `${prefix}.fc2`, ffn, dim)])
  }
}
