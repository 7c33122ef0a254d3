// Dynamic 8-bit quantization as transformers.js's scripts/quantize.py runs onnxruntime's
// ONNXQuantizer (IntegerOps, static=False, per_channel=False, reduce_range=False, EnableSubgraph,
// MatMulConstBOnly): weights of MatMul (constant B), Conv and Gather become 8-bit initializers;
// activations are quantized at run time by DynamicQuantizeLinear (uint8) and the products run as
// MatMulInteger / ConvInteger, rescaled in float. Attention's activation×activation MatMuls stay
// float, and so does the logits MatMul, whose B is a Transpose of the embedding, not an initializer.
import {dimsOf, floatsOf, mapGraphs, roundEven, T, tensor, type Graph, type Node, type TensorProto} from './graph-rewrite.js'

export type WeightType = 'int8' | 'uint8'

interface Quantized {
  data: Int8Array | Uint8Array
  scale: number
  zeroPoint: number
}

/** Per-tensor: int8 symmetric in [-127, 127] (zero point 0); uint8 asymmetric over [min(0, w), max(0, w)]. */
export function quantize8(values: Float32Array, type: WeightType): Quantized {
  let min = 0
  let max = 0
  for (const v of values) {
    if (v < min) min = v
    if (v > max) max = v
  }
  if (type === 'int8') {
    const absMax = Math.max(-min, max)
    const scale = absMax === 0 ? 1 : absMax / 127
    const data = new Int8Array(values.length)
    for (let i = 0; i < values.length; i++) data[i] = Math.max(-127, Math.min(127, roundEven(values[i]! / scale)))
    return {data, scale, zeroPoint: 0}
  }
  const scale = max === min ? 1 : (max - min) / 255
  const zeroPoint = Math.max(0, Math.min(255, roundEven(-min / scale)))
  const data = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = Math.max(0, Math.min(255, roundEven(values[i]! / scale) + zeroPoint))
  return {data, scale, zeroPoint}
}

/**
 * The quantized model. `weightType` is what the file name says: q8 (`_quantized`) is uint8 for a
 * graph with a Conv (the encoder: onnxruntime-web has no int8 ConvInteger) and int8 otherwise;
 * `_int8` and `_uint8` force one type.
 */
export function quantizeDynamic8(model: Graph, weightType: WeightType): Graph {
  const top = new Map((model.initializer ?? []).map((t) => [t.name!, t]))
  const added = new Map<string, TensorProto>()
  const addWeight = (t: TensorProto): string => {
    if (!added.has(t.name!)) added.set(t.name!, t)
    return t.name!
  }
  /** name_quantized, name_scale, name_zero_point for an initializer, created once for the model. */
  const quantizedWeight = (source: TensorProto, type: WeightType): [string, string, string] => {
    const name = source.name!
    const names: [string, string, string] = [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`]
    if (added.has(names[0])) return names
    const q = quantize8(floatsOf(source), type)
    const elem = type === 'int8' ? T.INT8 : T.UINT8
    addWeight(tensor(names[0], elem, dimsOf(source), q.data))
    addWeight(tensor(names[1], T.FLOAT, [], new Float32Array([q.scale])))
    addWeight(tensor(names[2], elem, [], type === 'int8' ? new Int8Array([q.zeroPoint]) : new Uint8Array([q.zeroPoint])))
    return names
  }

  const rewritten = mapGraphs(model, (graph, isTop) => {
    const local = new Map((graph.initializer ?? []).map((t) => [t.name!, t]))
    const weight = (name: string | undefined): TensorProto | undefined => {
      const t = local.get(name ?? '') ?? top.get(name ?? '')
      return t && t.dataType === T.FLOAT ? t : undefined
    }
    const nodes: Node[] = []
    const activations = new Map<string, [string, string, string]>()
    /** One DynamicQuantizeLinear per activation and graph, shared by every consumer (q/k/v read the same input). */
    const quantizedActivation = (input: string): [string, string, string] => {
      const found = activations.get(input)
      if (found) return found
      const suffix = isTop ? '' : `_${graph.name}`
      const out: [string, string, string] = [`${input}_quantized${suffix}`, `${input}_scale${suffix}`, `${input}_zero_point${suffix}`]
      nodes.push({opType: 'DynamicQuantizeLinear', name: `${input}_QuantizeLinear${suffix}`, input: [input], output: out})
      activations.set(input, out)
      return out
    }
    /** int32 product → float, times the two scales, into `output`. */
    const rescale = (name: string, product: string, xScale: string, wScale: string, output: string): void => {
      nodes.push({
        opType: 'Cast',
        name: `${name}_output_quantized_cast`,
        input: [product],
        output: [`${product}_cast`],
        attribute: [{name: 'to', type: 2, i: T.FLOAT}],
      })
      nodes.push({opType: 'Mul', name: `${name}_scales_mul`, input: [xScale, wScale], output: [`${product}_scales`]})
      nodes.push({opType: 'Mul', name: `${name}_output_scale_mul`, input: [`${product}_cast`, `${product}_scales`], output: [output]})
    }

    for (const node of graph.node ?? []) {
      const name = node.name ?? node.output![0]!
      const w = weight(node.input?.[node.opType === 'Gather' ? 0 : 1])
      if (node.opType === 'MatMul' && w && dimsOf(w).length === 2) {
        const [xq, xs, xz] = quantizedActivation(node.input![0]!)
        const [wq, ws, wz] = quantizedWeight(w, weightType)
        const product = `${node.output![0]}_output_quantized`
        nodes.push({opType: 'MatMulInteger', name: `${name}_quant`, input: [xq, wq, xz, wz], output: [product]})
        rescale(name, product, xs, ws, node.output![0]!)
      } else if (node.opType === 'Conv' && w) {
        const [xq, xs, xz] = quantizedActivation(node.input![0]!)
        const [wq, ws, wz] = quantizedWeight(w, weightType)
        const product = `${node.output![0]}_output_quantized`
        nodes.push({opType: 'ConvInteger', name: `${name}_quant`, input: [xq, wq, xz, wz], output: [product], attribute: node.attribute})
        const bias = weight(node.input?.[2])
        const scaled = bias ? `${node.output![0]}_without_bias` : node.output![0]!
        rescale(name, product, xs, ws, scaled)
        if (bias) {
          const channels = dimsOf(bias)[0]!
          const reshaped = addWeight(
            tensor(
              `${bias.name}_reshaped`,
              T.FLOAT,
              [
                1,
                channels,
                ...dimsOf(w)
                  .slice(2)
                  .map(() => 1),
              ],
              floatsOf(bias),
            ),
          )
          nodes.push({opType: 'Add', name: `${name}_bias_add`, input: [scaled, reshaped], output: [node.output![0]!]})
        }
      } else if (node.opType === 'Transpose' && weight(node.input?.[0])) {
        // The tied output projection (Transpose of the token embedding): transposed as 8-bit data
        // (onnxruntime's Direct8BitOp) and dequantized for a float MatMul, so the file keeps one
        // 8-bit copy of the embedding, as onnx-community's _quantized decoders do.
        const [dq, ds, dz] = quantizedWeight(weight(node.input![0])!, 'uint8')
        const transposed = `${node.output![0]}_quantized`
        nodes.push({...node, input: [dq], output: [transposed]})
        nodes.push({opType: 'DequantizeLinear', name: `${name}_DequantizeLinear`, input: [transposed, ds, dz], output: [node.output![0]!]})
      } else if (node.opType === 'Gather' && w) {
        // Gather's data is quantized as an activation: uint8, then dequantized after the lookup.
        const [dq, ds, dz] = quantizedWeight(w, 'uint8')
        const gathered = `${node.output![0]}_quantized`
        nodes.push({...node, input: [dq, node.input![1]!], output: [gathered]})
        nodes.push({opType: 'DequantizeLinear', name: `${name}_DequantizeLinear`, input: [gathered, ds, dz], output: [node.output![0]!]})
      } else {
        nodes.push(node)
      }
    }
    return {...graph, node: nodes}
  })
  // Float weights no node reads any more are dropped, as the quantizer's model cleanup does.
  const read = new Set<string>()
  const collect = (graph: Graph): void => {
    for (const node of graph.node ?? []) {
      for (const input of node.input ?? []) read.add(input)
      for (const a of node.attribute ?? []) if (a.g) collect(a.g)
    }
  }
  collect(rewritten)
  for (const output of rewritten.output ?? []) read.add(output.name!)
  return {
    ...rewritten,
    initializer: [...(rewritten.initializer ?? []).filter((t) => read.has(t.name!)), ...added.values()],
  }
}

/** Whether a graph has a Conv (then q8 takes uint8 weights, as transformers.js decides). */
export const hasConv = (graph: Graph): boolean => (graph.node ?? []).some((node) => node.opType === 'Conv')
