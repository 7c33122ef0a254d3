// Rewrites an 8-bit Whisper decoder so its logits projection reads the 8-bit embedding directly.
//
// onnxruntime's dynamic quantizer (how transformers.js and onnx-community build `_quantized`, `_int8`
// and `_uint8`) leaves the tied projection as MatMul(hidden, DequantizeLinear(Transpose(embedding))):
// a float product over vocabulary × d_model weights, 80 MB a token at tiny's size, and a decoder token
// is memory-bound. MatMulNBits (bits 8, accuracy level 4) takes the same 8-bit bytes with the same
// per-tensor scale and zero point, and quantizes the hidden state per block to int8: a quarter of the
// bytes read. The weights are bit-identical; the activation rounding is the approximation the rest of
// an 8-bit decoder already makes (every other MatMul there is MatMulInteger on a quantized input).
import type onnxProto from 'onnx-proto'

type Graph = onnxProto.onnx.IGraphProto
type Node = onnxProto.onnx.INodeProto
type TensorProto = onnxProto.onnx.ITensorProto

const MS_DOMAIN = 'com.microsoft'
const UINT8 = 2
const INT8 = 3
const FLOAT = 1

/** The largest block MatMulNBits takes that divides d_model (128 reads fastest; measured in docs/bench.md). */
const blockSizeFor = (k: number): number | undefined => [128, 64, 32, 16].find((b) => k % b === 0)

interface Projection {
  /** The DequantizeLinear output the logits MatMuls read as their B. */
  weightValue: string
  /** The nodes that produce it, in graph order (the Transpose, then the DequantizeLinear). */
  producers: Node[]
  embedding: TensorProto
  scale: number
  zeroPoint: number
}

/**
 * The rewritten model, or undefined when the graph has no dequantized tied projection (float and 4-bit
 * decoders, or an export laid out differently): those load unchanged.
 */
export async function int8LogitsModel(model: Uint8Array): Promise<Uint8Array | undefined> {
  const {onnx} = (await import('onnx-proto')).default
  const proto = onnx.ModelProto.decode(model)
  const graph = proto.graph
  if (!graph) return undefined
  const projection = findProjection(graph)
  if (!projection) return undefined
  const [n, k] = (projection.embedding.dims ?? []).map(Number) as [number, number]
  const block = blockSizeFor(k)
  if (block === undefined) return undefined
  let rewritten = 0
  const names = {
    b: `${projection.embedding.name}_nbits`,
    scales: `${projection.embedding.name}_nbits_scales`,
    zeros: `${projection.embedding.name}_nbits_zero_points`,
  }
  const replace = (g: Graph): void => {
    for (const node of g.node ?? []) {
      if (node.opType === 'MatMul' && node.input?.[1] === projection.weightValue) {
        node.opType = 'MatMulNBits'
        node.domain = MS_DOMAIN
        node.input = [node.input[0]!, names.b, names.scales, names.zeros]
        node.attribute = [int('K', k), int('N', n), int('bits', 8), int('block_size', block), int('accuracy_level', 4)]
        rewritten++
      }
      for (const a of node.attribute ?? []) if (a.g) replace(a.g)
    }
  }
  replace(graph)
  if (rewritten === 0 || readers(graph, projection.weightValue) > 0) return undefined
  for (const producer of projection.producers.toReversed()) {
    if (readers(graph, producer.output![0]!) === 0) graph.node = (graph.node ?? []).filter((node) => node !== producer)
  }
  const blocks = n * (k / block)
  graph.initializer = [
    ...(graph.initializer ?? []),
    {name: names.b, dataType: UINT8, dims: [n, k / block, block], rawData: unsignedBytes(projection)},
    {name: names.scales, dataType: FLOAT, dims: [blocks], rawData: floatBytes(new Float32Array(blocks).fill(projection.scale))},
    {name: names.zeros, dataType: UINT8, dims: [blocks], rawData: new Uint8Array(blocks).fill(unsignedZeroPoint(projection))},
  ]
  if (!(proto.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN))
    proto.opsetImport = [...(proto.opsetImport ?? []), {domain: MS_DOMAIN, version: 1}]
  return onnx.ModelProto.encode(proto).finish()
}

const int = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({name, type: 2, i})

/** A DequantizeLinear over Transpose(2-D 8-bit initializer) with scalar scale and zero point, in the top graph. */
function findProjection(graph: Graph): Projection | undefined {
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]))
  const producedBy = new Map((graph.node ?? []).flatMap((node) => (node.output ?? []).map((o): [string, Node] => [o, node])))
  for (const dq of graph.node ?? []) {
    if (dq.opType !== 'DequantizeLinear' || (dq.input?.length ?? 0) < 3) continue
    const transpose = producedBy.get(dq.input![0]!)
    if (transpose?.opType !== 'Transpose' || !isSwap(transpose)) continue
    const embedding = initializers.get(transpose.input![0]!)
    const scale = initializers.get(dq.input![1]!)
    const zero = initializers.get(dq.input![2]!)
    if (!embedding || !scale || !zero || (embedding.dims ?? []).length !== 2) continue
    if (embedding.dataType !== UINT8 && embedding.dataType !== INT8) continue
    if (zero.dataType !== embedding.dataType || scalarCount(scale) !== 1 || scalarCount(zero) !== 1) continue
    const scaleValue = firstFloat(scale)
    const zeroValue = firstByte(zero)
    if (scaleValue === undefined || zeroValue === undefined || !embedding.rawData?.length) continue
    return {weightValue: dq.output![0]!, producers: [transpose, dq], embedding, scale: scaleValue, zeroPoint: zeroValue}
  }
  return undefined
}

const isSwap = (node: Node): boolean => {
  const perm = node.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number)
  return perm === undefined || (perm.length === 2 && perm[0] === 1 && perm[1] === 0)
}

const scalarCount = (t: TensorProto): number => (t.dims ?? []).map(Number).reduce((a, b) => a * b, 1)

function firstFloat(t: TensorProto): number | undefined {
  if (t.dataType !== FLOAT) return undefined
  if (t.rawData?.length) return new DataView(t.rawData.buffer, t.rawData.byteOffset, 4).getFloat32(0, true)
  return t.floatData?.[0]
}

function firstByte(t: TensorProto): number | undefined {
  const raw = t.rawData?.length ? t.rawData[0] : t.int32Data?.[0]
  if (raw === undefined) return undefined
  return t.dataType === INT8 ? (raw << 24) >> 24 : raw & 0xff
}

/** Signed weights shift by 128 with their zero point, so (q - z) stays the same value. */
function unsignedBytes(p: Projection): Uint8Array {
  const raw = p.embedding.rawData!
  if (p.embedding.dataType === UINT8) return raw
  const shifted = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) shifted[i] = (raw[i]! + 128) & 0xff
  return shifted
}

const unsignedZeroPoint = (p: Projection): number => (p.embedding.dataType === UINT8 ? p.zeroPoint : p.zeroPoint + 128)

const floatBytes = (values: Float32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength)

/** How many nodes (subgraphs included) read a value. */
function readers(graph: Graph, value: string): number {
  let count = 0
  for (const node of graph.node ?? []) {
    count += (node.input ?? []).filter((i) => i === value).length
    for (const a of node.attribute ?? []) if (a.g) count += readers(a.g, value)
  }
  return count
}
