// Every weight variant onnx-community publishes for Whisper, derived from the same fp32 graphs
// the way transformers.js's scripts/quantize.py derives them, named as the hub names them.
import {convertToFloat16} from './float16.js'
import {allNodes, encodeGraph, type Graph} from './graph-rewrite.js'
import {quantize4Bit} from './quantize-4bit.js'
import {hasConv, quantizeDynamic8} from './quantize-8bit.js'

// The generator writes every dtype the engine's registry knows, under the same names and suffixes.
export {
  DTYPES as GENERATOR_DTYPES,
  DTYPE_SUFFIX as VARIANT_SUFFIX,
  isDtype as isGeneratorDtype,
  type Dtype as GeneratorDtype,
} from '../../src/engine/store/registry.js'
import type {Dtype as GeneratorDtype} from '../../src/engine/store/registry.js'

export interface VariantOptions {
  /** fp16 only: float16 graph inputs/outputs (Optimum's fp16 export) instead of float32 behind Casts. */
  float16Io?: boolean
}

/** The variant of one fp32 graph (an encoder or a decoder), serialised. */
export function encodeVariant(fp32: Graph, dtype: GeneratorDtype, options: VariantOptions = {}): Uint8Array {
  const graph = variantGraph(fp32, dtype, options)
  return encodeGraph(
    graph,
    allNodes(graph).some((node) => node.domain === 'com.microsoft'),
  )
}

export function variantGraph(fp32: Graph, dtype: GeneratorDtype, options: VariantOptions = {}): Graph {
  switch (dtype) {
    case 'fp32':
      return fp32
    case 'fp16':
      return convertToFloat16(fp32, !options.float16Io)
    case 'q8':
      return quantizeDynamic8(fp32, hasConv(fp32) ? 'uint8' : 'int8')
    case 'int8':
    case 'uint8':
      return quantizeDynamic8(fp32, dtype)
    case 'q4':
      return quantize4Bit(fp32, 'q4')
    case 'q4f16':
      return convertToFloat16(quantize4Bit(fp32, 'q4'), true)
    case 'bnb4':
      return quantize4Bit(fp32, 'bnb4')
  }
}
