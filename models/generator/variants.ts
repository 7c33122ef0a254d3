// Every weight variant onnx-community publishes for Whisper, derived from the same fp32 graphs
// the way transformers.js's scripts/quantize.py derives them, named as the hub names them.
import {convertToFloat16} from './float16.js'
import {allNodes, encodeGraph, type Graph} from './graph-rewrite.js'
import {quantize4Bit} from './quantize-4bit.js'
import {hasConv, quantizeDynamic8} from './quantize-8bit.js'

export const GENERATOR_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const
export type GeneratorDtype = (typeof GENERATOR_DTYPES)[number]

/** onnx/<part><suffix>.onnx, as transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING names them. */
export const VARIANT_SUFFIX: Record<GeneratorDtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
}

export const isGeneratorDtype = (value: string): value is GeneratorDtype => (GENERATOR_DTYPES as readonly string[]).includes(value)

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
