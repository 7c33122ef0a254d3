// float32 → float16 as transformers.js's scripts/float16.py (onnxconverter-common) converts:
// every float initializer becomes float16, values clamped to ±[1e-7, 1e4] (zeros and infinities
// kept); graph inputs and outputs either stay float32 behind Cast nodes (keep_io_types=True, what
// quantize.py passes and so what onnx-community's _fp16 / _q4f16 files take) or turn float16
// themselves (Optimum's fp16 exports).
import {mapGraphs, T, type Graph, type Node, type TensorProto} from './graph-rewrite.js'
import {floatsOf} from './graph-rewrite.js'

const MIN_POSITIVE = 1e-7
const MAX_FINITE = 1e4

/** Round-to-nearest-even float16 bits of a float32 (what numpy's astype(float16) does): the engine's conversion. */
export {toHalf as halfBits} from '../../src/engine/runtime/float16.js'
import {toHalf as halfBits} from '../../src/engine/runtime/float16.js'

function clamp(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v
  const magnitude = Math.min(MAX_FINITE, Math.max(MIN_POSITIVE, Math.abs(v)))
  return v < 0 ? -magnitude : magnitude
}

function toFloat16(t: TensorProto): TensorProto {
  if (t.dataType !== T.FLOAT) return t
  const values = floatsOf(t)
  const half = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) half[i] = halfBits(clamp(values[i]!))
  const {floatData: _floats, ...rest} = t
  return {...rest, dataType: T.FLOAT16, rawData: new Uint8Array(half.buffer)}
}

const retype = <V extends {type?: {tensorType?: {elemType?: number | null} | null} | null}>(value: V, to: number): V =>
  value.type?.tensorType?.elemType === T.FLOAT
    ? {...value, type: {...value.type, tensorType: {...value.type.tensorType, elemType: to}}}
    : value

const cast = (input: string, output: string, to: number): Node => ({
  opType: 'Cast',
  name: `${output}_cast`,
  input: [input],
  output: [output],
  attribute: [{name: 'to', type: 2, i: to}],
})

export function convertToFloat16(model: Graph, keepIoTypes: boolean): Graph {
  const floatInputs = new Set((model.input ?? []).filter((i) => i.type?.tensorType?.elemType === T.FLOAT).map((i) => i.name!))
  const floatOutputs = new Set((model.output ?? []).filter((o) => o.type?.tensorType?.elemType === T.FLOAT).map((o) => o.name!))
  const rename = (name: string): string => (keepIoTypes && floatInputs.has(name) ? `${name}_fp16` : name)
  const converted = mapGraphs(model, (graph, top) => {
    const nodes = (graph.node ?? []).map((node) => ({
      ...node,
      input: (node.input ?? []).map(rename),
      output: (node.output ?? []).map((o) => (top && keepIoTypes && floatOutputs.has(o) ? `${o}_fp16` : o)),
    }))
    const keep = top && keepIoTypes
    return {
      ...graph,
      initializer: (graph.initializer ?? []).map(toFloat16),
      node: keep
        ? [
            ...[...floatInputs].map((name) => cast(name, `${name}_fp16`, T.FLOAT16)),
            ...nodes,
            ...[...floatOutputs].map((name) => cast(`${name}_fp16`, name, T.FLOAT)),
          ]
        : nodes,
      input: keep ? graph.input : (graph.input ?? []).map((i) => retype(i, T.FLOAT16)),
      output: keep ? graph.output : (graph.output ?? []).map((o) => retype(o, T.FLOAT16)),
    }
  })
  return converted
}
