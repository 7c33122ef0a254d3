// The legacy ggml container whisper.cpp loads (whisper_model_load): an int32 magic, int32
// hyper-parameters, the mel filterbank, the vocabulary as length-prefixed byte strings, then one
// record per tensor (n_dims, name length, type, dims innermost first, name, raw data).
// Everything little-endian; no alignment padding between records.

import {toHalf} from '../../src/engine/runtime/float16.js'

export const GGML_MAGIC = 0x67676d6c

/** ggml_type ids of the tensor records. */
export const GgmlType = {f32: 0, f16: 1, q8_0: 8} as const
export type GgmlTensorType = keyof typeof GgmlType

/** Elements per q8_0 block: an fp16 scale, then 32 int8 values (34 bytes). */
export const Q8_0_BLOCK = 32
const Q8_0_BYTES = 2 + Q8_0_BLOCK

/** Appends little-endian values into growing chunks; `bytes()` joins them once. */
export class ByteSink {
  private readonly chunks: Uint8Array[] = []
  private size = 0

  int32(value: number): void {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setInt32(0, value, true)
    this.push(b)
  }

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.size += bytes.byteLength
  }

  float32s(values: Float32Array): void {
    const b = new Uint8Array(values.length * 4)
    const view = new DataView(b.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true)
    this.push(b)
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size)
    let at = 0
    for (const chunk of this.chunks) {
      out.set(chunk, at)
      at += chunk.byteLength
    }
    return out
  }
}

// ggml's fp32→fp16 conversion rounds to nearest even, as the engine's own half conversion does.
export {fromHalf, toHalf} from '../../src/engine/runtime/float16.js'

/** Encodes `values` as a tensor's data in the given type. */
export function encodeTensorData(values: Float32Array, type: GgmlTensorType): Uint8Array {
  if (type === 'f32') {
    const out = new Uint8Array(values.length * 4)
    const view = new DataView(out.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true)
    return out
  }
  if (type === 'f16') {
    const out = new Uint8Array(values.length * 2)
    const view = new DataView(out.buffer)
    for (let i = 0; i < values.length; i++) view.setUint16(i * 2, toHalf(values[i]!), true)
    return out
  }
  return quantizeQ8_0(values)
}

/**
 * q8_0 as ggml's reference quantizer does it: per block of 32, d = max|x| / 127 stored as fp16,
 * q = round(x / d) as int8 (rounding half away from zero, like C's roundf).
 */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error(`q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${values.length}`)
  const blocks = values.length / Q8_0_BLOCK
  const out = new Uint8Array(blocks * Q8_0_BYTES)
  const view = new DataView(out.buffer)
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK
    let amax = 0
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[base + i]!))
    const d = amax / 127
    const id = d ? 1 / d : 0
    const at = b * Q8_0_BYTES
    view.setUint16(at, toHalf(d), true)
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const x = values[base + i]! * id
      view.setInt8(at + 2 + i, Math.sign(x) * Math.round(Math.abs(x)))
    }
  }
  return out
}

export interface GgmlTensor {
  name: string
  /** Shape as PyTorch states it, outermost first; data row-major in that shape. */
  shape: number[]
  data: Float32Array
  type: GgmlTensorType
}

/** Writes one tensor record: header (dims reversed, innermost first, as ggml's ne[]), name, data. */
export function writeTensor(sink: ByteSink, tensor: GgmlTensor): void {
  const elements = tensor.shape.reduce((a, b) => a * b, 1)
  if (elements !== tensor.data.length)
    throw new Error(`${tensor.name}: shape ${tensor.shape.join('x')} holds ${elements} values, got ${tensor.data.length}`)
  const name = new TextEncoder().encode(tensor.name)
  sink.int32(tensor.shape.length)
  sink.int32(name.byteLength)
  sink.int32(GgmlType[tensor.type])
  for (let i = tensor.shape.length - 1; i >= 0; i--) sink.int32(tensor.shape[i]!)
  sink.push(name)
  sink.push(encodeTensorData(tensor.data, tensor.type))
}
