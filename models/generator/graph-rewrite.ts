// Rewrites a built model graph (If branches included) the way ONNX tooling does after export:
// the helpers the float16 converter and the quantizers share.
import onnxProto from 'onnx-proto'

export const {onnx} = onnxProto
export type Graph = onnxProto.onnx.IGraphProto
export type Node = onnxProto.onnx.INodeProto
export type TensorProto = onnxProto.onnx.ITensorProto
export type Attribute = onnxProto.onnx.IAttributeProto
export const T = onnx.TensorProto.DataType
const GRAPH = onnx.AttributeProto.AttributeType.GRAPH

/** A graph's If/Loop bodies. */
export const subgraphsOf = (graph: Graph): Graph[] =>
  (graph.node ?? []).flatMap((node) => (node.attribute ?? []).filter((a) => a.type === GRAPH && a.g).map((a) => a.g!))

/** Rebuilds `graph` with `rewrite` applied to it and then, depth first, to every subgraph. */
export function mapGraphs(graph: Graph, rewrite: (graph: Graph, top: boolean) => Graph, top = true): Graph {
  const rewritten = rewrite(graph, top)
  return {
    ...rewritten,
    node: (rewritten.node ?? []).map((node) =>
      (node.attribute ?? []).some((a) => a.type === GRAPH)
        ? {...node, attribute: node.attribute!.map((a) => (a.type === GRAPH && a.g ? {...a, g: mapGraphs(a.g, rewrite, false)} : a))}
        : node,
    ),
  }
}

/** Every node of the graph and its subgraphs. */
export function allNodes(graph: Graph): Node[] {
  return [...(graph.node ?? []), ...subgraphsOf(graph).flatMap(allNodes)]
}

/** The float32 values of an initializer (raw_data or float_data). */
export function floatsOf(tensor: TensorProto): Float32Array {
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData
    const copy = new Uint8Array(raw.length)
    copy.set(raw)
    return new Float32Array(copy.buffer)
  }
  return Float32Array.from(tensor.floatData ?? [])
}

export const dimsOf = (tensor: TensorProto): number[] => (tensor.dims ?? []).map(Number)

const bytes = (data: ArrayBufferView): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

export function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): TensorProto {
  return {name, dataType, dims, rawData: bytes(data)}
}

/** Numpy's rounding: halves go to the even neighbour. */
export function roundEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Serialises a graph; `contrib` adds the com.microsoft opset (MatMulNBits, MatMulBnb4). */
export function encodeGraph(graph: Graph, contrib = false): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'whisper-stream-generator',
    producerVersion: '1',
    opsetImport: [{domain: '', version: 17}, ...(contrib ? [{domain: 'com.microsoft', version: 1}] : [])],
    graph,
  })
  return onnx.ModelProto.encode(model).finish()
}
