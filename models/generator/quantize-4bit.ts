// 4-bit block quantization of MatMul weights (constant B only: Conv, Gather and the logits MatMul
// over the transposed embedding stay float32), as
// transformers.js's scripts/quantize.py runs onnxruntime's quantizers:
//   q4   — MatMul4BitsQuantizer: com.microsoft MatMulNBits, block 32, symmetric (no zero points).
//   bnb4 — MatMulBnb4Quantizer: com.microsoft MatMulBnb4, NF4 codes, block 64, absmax per block.
import {dimsOf, floatsOf, mapGraphs, T, tensor, type Graph, type Node, type TensorProto} from './graph-rewrite.js'

const ints = (name: string, i: number) => ({name, type: 2, i})

/**
 * B [K, N] → MatMulNBits' layout: for each column n, K/block blocks of block/2 bytes, two 4-bit
 * values a byte (even k in the low nibble); value = (q − 8) · scale, scale = the block's
 * largest-magnitude value / −8.
 */
export function quantizeNBits(b: Float32Array, k: number, n: number, block = 32): {packed: Uint8Array; scales: Float32Array} {
  const blocks = Math.ceil(k / block)
  const packed = new Uint8Array(n * blocks * (block / 2))
  const scales = new Float32Array(n * blocks)
  for (let col = 0; col < n; col++) {
    for (let blk = 0; blk < blocks; blk++) {
      let extreme = 0
      for (let i = blk * block; i < Math.min(k, (blk + 1) * block); i++) {
        const v = b[i * n + col]!
        if (Math.abs(v) > Math.abs(extreme)) extreme = v
      }
      const scale = extreme / -8
      scales[col * blocks + blk] = scale
      const inverse = scale === 0 ? 0 : 1 / scale
      const base = (col * blocks + blk) * (block / 2)
      for (let j = 0; j < block; j++) {
        const row = blk * block + j
        const q = row < k ? Math.max(0, Math.min(15, Math.round(b[row * n + col]! * inverse + 8))) : 8
        packed[base + (j >> 1)]! |= j & 1 ? q << 4 : q
      }
    }
  }
  return {packed, scales}
}

/** bitsandbytes' NF4 code book (normal-float quantiles), index = the 4-bit code. */
export const NF4 = [
  -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
  0.7229568362236023, 1,
]

/**
 * B [K, N] → MatMulBnb4's layout: Bᵀ ([N, K]) flattened, cut into blocks of `block` values, each
 * stored as NF4 codes of value / absmax; two codes a byte, the first in the high nibble.
 */
export function quantizeBnb4(b: Float32Array, k: number, n: number, block = 64): {packed: Uint8Array; absmax: Float32Array} {
  const total = k * n
  const absmax = new Float32Array(Math.ceil(total / block))
  const packed = new Uint8Array(Math.ceil(total / 2))
  const at = (i: number): number => b[(i % k) * n + Math.floor(i / k)]! // i indexes Bᵀ row-major
  for (let blk = 0; blk < absmax.length; blk++) {
    let m = 0
    for (let i = blk * block; i < Math.min(total, (blk + 1) * block); i++) m = Math.max(m, Math.abs(at(i)))
    absmax[blk] = m
    for (let i = blk * block; i < Math.min(total, (blk + 1) * block); i++) {
      const x = m === 0 ? 0 : at(i) / m
      let code = 0
      for (let c = 1; c < 16; c++) if (Math.abs(NF4[c]! - x) < Math.abs(NF4[code]! - x)) code = c
      packed[i >> 1]! |= i & 1 ? code : code << 4
    }
  }
  return {packed, absmax}
}

export type FourBit = 'q4' | 'bnb4'

export function quantize4Bit(model: Graph, kind: FourBit): Graph {
  const top = new Map((model.initializer ?? []).map((t) => [t.name!, t]))
  const added = new Map<string, TensorProto>()
  const replaced = new Set<string>()
  const quantized = (w: TensorProto): string[] => {
    const [k, n] = dimsOf(w) as [number, number]
    const names = kind === 'q4' ? [`${w.name}_Q4`, `${w.name}_scales`] : [`${w.name}_Bnb4`, `${w.name}_absmax`]
    if (!added.has(names[0]!)) {
      replaced.add(w.name!)
      if (kind === 'q4') {
        const {packed, scales} = quantizeNBits(floatsOf(w), k, n)
        added.set(names[0]!, tensor(names[0]!, T.UINT8, [n, Math.ceil(k / 32), 16], packed))
        added.set(names[1]!, tensor(names[1]!, T.FLOAT, [scales.length], scales))
      } else {
        const {packed, absmax} = quantizeBnb4(floatsOf(w), k, n)
        added.set(names[0]!, tensor(names[0]!, T.UINT8, [packed.length], packed))
        added.set(names[1]!, tensor(names[1]!, T.FLOAT, [absmax.length], absmax))
      }
    }
    return names
  }
  const rewritten = mapGraphs(model, (graph) => {
    const local = new Map((graph.initializer ?? []).map((t) => [t.name!, t]))
    const nodes: Node[] = (graph.node ?? []).map((node) => {
      const w = local.get(node.input?.[1] ?? '') ?? top.get(node.input?.[1] ?? '')
      if (node.opType !== 'MatMul' || !w || w.dataType !== T.FLOAT || dimsOf(w).length !== 2) return node
      const [k, n] = dimsOf(w) as [number, number]
      const attrs =
        kind === 'q4'
          ? [ints('K', k), ints('N', n), ints('bits', 4), ints('block_size', 32)]
          : [ints('K', k), ints('N', n), ints('block_size', 64), ints('quant_type', 1)]
      return {
        opType: kind === 'q4' ? 'MatMulNBits' : 'MatMulBnb4',
        domain: 'com.microsoft',
        name: `${node.name}_Q4`,
        input: [node.input![0]!, ...quantized(w)],
        output: node.output,
        attribute: attrs,
      }
    })
    return {...graph, node: nodes}
  })
  const stillRead = new Set(collectInputs(rewritten))
  return {
    ...rewritten,
    initializer: [...(rewritten.initializer ?? []).filter((t) => !replaced.has(t.name!) || stillRead.has(t.name!)), ...added.values()],
  }
}

function collectInputs(graph: Graph): string[] {
  return (graph.node ?? []).flatMap((node) => [
    ...(node.input ?? []),
    ...(node.attribute ?? []).flatMap((a) => (a.g ? collectInputs(a.g) : [])),
  ])
}
