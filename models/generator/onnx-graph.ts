// A tiny typed graph builder over onnx-proto: initializers, nodes, value infos, If subgraphs.
import onnxProto from 'onnx-proto'

export const {onnx} = onnxProto
type IGraphProto = onnxProto.onnx.IGraphProto
type INodeProto = onnxProto.onnx.INodeProto
type ITensorProto = onnxProto.onnx.ITensorProto
type IValueInfoProto = onnxProto.onnx.IValueInfoProto
type IAttributeProto = onnxProto.onnx.IAttributeProto

export const DataType = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const
export type ElemType = keyof typeof DataType

/** A dimension: a fixed size or a symbolic name (e.g. "batch_size"). */
export type Dim = number | string

/** Attribute values, tagged so ints and floats never get confused. */
export type Attr = {int: number} | {float: number} | {ints: number[]} | {graph: IGraphProto}

function toAttribute(name: string, value: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if ('int' in value) return {name, type: T.INT, i: value.int}
  if ('float' in value) return {name, type: T.FLOAT, f: value.float}
  if ('ints' in value) return {name, type: T.INTS, ints: value.ints}
  return {name, type: T.GRAPH, g: value.graph}
}

export function valueInfo(name: string, elem: ElemType, dims?: Dim[]): IValueInfoProto {
  const shape = dims === undefined ? undefined : {dim: dims.map((d) => (typeof d === 'number' ? {dimValue: d} : {dimParam: d}))}
  return {name, type: {tensorType: {elemType: DataType[elem], shape}}}
}

/** Shared between a graph and its subgraphs so every value name in the model is unique. */
class NameCounter {
  private next = 0
  fresh(hint: string): string {
    return `${hint}_${this.next++}`
  }
}

export class GraphBuilder {
  readonly nodes: INodeProto[] = []
  readonly initializers: ITensorProto[] = []
  readonly inputs: IValueInfoProto[] = []
  readonly outputs: IValueInfoProto[] = []
  private readonly constants = new Map<string, string>()
  private readonly weightNames = new Set<string>()

  constructor(
    readonly name: string,
    private readonly names: NameCounter = new NameCounter(),
  ) {}

  /** A builder for a subgraph (If branch) that shares this graph's name space. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this.names)
  }

  /** Whether an initializer of this name exists (If branches share the weights of the top graph). */
  hasWeight(name: string): boolean {
    return this.weightNames.has(name)
  }

  input(name: string, elem: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims))
    return name
  }

  output(name: string, elem: ElemType, dims?: Dim[]): void {
    this.outputs.push(valueInfo(name, elem, dims))
  }

  /** A float32 initializer, stored as little-endian raw_data. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    if (this.weightNames.has(name)) return name
    this.weightNames.add(name)
    const size = dims.reduce((a, b) => a * b, 1)
    if (size !== data.length) throw new Error(`initializer ${name}: ${data.length} values for dims ${dims.join(',')}`)
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    this.initializers.push({name, dims, dataType: DataType.float, rawData: raw})
    return name
  }

  /** An int64 initializer (shapes, axes, indices); deduplicated by value. */
  int64s(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`
    const found = this.constants.get(key)
    if (found) return found
    const name = this.names.fresh('const_i64')
    this.initializers.push({name, dims, dataType: DataType.int64, int64Data: values})
    this.constants.set(key, name)
    return name
  }

  /** A float32 scalar initializer; deduplicated by value. */
  scalar(value: number): string {
    const key = `f32:${value}`
    const found = this.constants.get(key)
    if (found) return found
    const name = this.names.fresh('const_f32')
    this.initializers.push({name, dims: [], dataType: DataType.float, floatData: [value]})
    this.constants.set(key, name)
    return name
  }

  /** Adds a node; returns its output names (fresh unless given). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: string[] | number = 1): string[] {
    const outNames = typeof outputs === 'number' ? Array.from({length: outputs}, () => this.names.fresh(op.toLowerCase())) : outputs
    this.nodes.push({
      opType: op,
      name: this.names.fresh(`${op}_node`),
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    })
    return outNames
  }

  /** Adds a single-output node and returns that output. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output === undefined ? 1 : [output])[0]
  }

  build(): IGraphProto {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    }
  }
}

/** Serialises a graph as an opset-17 model. */
export function encodeModel(graph: GraphBuilder, opset = 17): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'whisper-stream-generator',
    producerVersion: '1',
    opsetImport: [{domain: '', version: opset}],
    graph: graph.build(),
  })
  return onnx.ModelProto.encode(model).finish()
}
