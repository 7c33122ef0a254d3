// The generator's weight variants: named and built as transformers.js's scripts/quantize.py builds
// onnx-community's files (the operators real files contain), and numerically what they claim.
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import onnxProto from 'onnx-proto'
import {beforeAll, describe, expect, it} from 'vitest'
import {GENERATOR_DTYPES, VARIANT_SUFFIX, type GeneratorDtype} from '../../models/generator/index.js'
import {GraphBuilder} from '../../models/generator/onnx-graph.js'
import {encodeVariant} from '../../models/generator/variants.js'
import {WeightFactory} from '../../models/generator/weights.js'
import {testModel} from '../helpers/test-models.js'

const {onnx} = onnxProto
const T = onnx.TensorProto.DataType
type Graph = onnxProto.onnx.IGraphProto

const load = async (file: string): Promise<Graph> => onnx.ModelProto.decode(await readFile(file)).graph!
const nodes = (g: Graph): onnxProto.onnx.INodeProto[] =>
  (g.node ?? []).flatMap((n) => [n, ...(n.attribute ?? []).flatMap((a) => (a.g ? nodes(a.g) : []))])
const initializers = (g: Graph): onnxProto.onnx.ITensorProto[] => [
  ...(g.initializer ?? []),
  ...(g.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.g ? initializers(a.g) : []))),
]
const ops = (g: Graph): Set<string> => new Set(nodes(g).map((n) => n.opType!))
const attr = (n: onnxProto.onnx.INodeProto, name: string): number => Number(n.attribute!.find((a) => a.name === name)!.i)
const elemOf = (g: Graph, name: string, where: 'input' | 'output'): number =>
  g[where]!.find((v) => v.name === name)!.type!.tensorType!.elemType!

describe('generated weight variants', () => {
  let dir: string
  const graphs = {} as Record<GeneratorDtype, {encoder: Graph; decoder: Graph}>
  beforeAll(async () => {
    dir = await testModel('mini-variants')
    for (const dtype of GENERATOR_DTYPES) {
      graphs[dtype] = {
        encoder: await load(path.join(dir, 'onnx', `encoder_model${VARIANT_SUFFIX[dtype]}.onnx`)),
        decoder: await load(path.join(dir, 'onnx', `decoder_model_merged${VARIANT_SUFFIX[dtype]}.onnx`)),
      }
    }
  })

  it('are named as the hub names them', async () => {
    const files = (await readdir(path.join(dir, 'onnx'))).sort()
    const suffixes = ['', '_fp16', '_quantized', '_int8', '_uint8', '_q4', '_q4f16', '_bnb4']
    expect(files).toEqual(suffixes.flatMap((s) => [`decoder_model_merged${s}.onnx`, `encoder_model${s}.onnx`]).sort())
  })

  it('8-bit: DynamicQuantizeLinear + MatMulInteger (and ConvInteger); q8 takes uint8 weights only where a Conv is', () => {
    const weightType = (g: Graph, op: string): number => {
      const node = nodes(g).find((n) => n.opType === op)!
      return initializers(g).find((t) => t.name === node.input![1])!.dataType!
    }
    for (const dtype of ['q8', 'int8', 'uint8'] as const) {
      const {encoder, decoder} = graphs[dtype]
      for (const op of ['DynamicQuantizeLinear', 'MatMulInteger']) {
        expect(ops(encoder), `${dtype} encoder`).toContain(op)
        expect(ops(decoder), `${dtype} decoder`).toContain(op)
      }
      expect(ops(encoder)).toContain('ConvInteger')
      expect(ops(decoder)).toContain('DequantizeLinear') // the embedding: Gather and the logits' Transpose on 8-bit data
      // Attention's score and value products are between activations: still float MatMuls.
      expect(ops(decoder)).toContain('MatMul')
      // per_channel=False: one scale per weight.
      const scale = initializers(decoder).find((t) => t.name!.endsWith('q_proj.weight_scale'))!
      expect(scale.dims ?? []).toEqual([])
    }
    expect(weightType(graphs.q8.encoder, 'ConvInteger')).toBe(T.UINT8)
    expect(weightType(graphs.q8.decoder, 'MatMulInteger')).toBe(T.INT8)
    expect(weightType(graphs.int8.encoder, 'ConvInteger')).toBe(T.INT8)
    expect(weightType(graphs.uint8.decoder, 'MatMulInteger')).toBe(T.UINT8)
  })

  it('q4: MatMulNBits, 4 bits, block 32, symmetric; bnb4: MatMulBnb4 NF4, block 64; Conv and Gather stay float', () => {
    for (const dtype of ['q4', 'q4f16'] as const) {
      const matmul = nodes(graphs[dtype].decoder).find((n) => n.opType === 'MatMulNBits')!
      expect(matmul.domain).toBe('com.microsoft')
      expect([attr(matmul, 'bits'), attr(matmul, 'block_size')]).toEqual([4, 32])
      expect(matmul.input).toHaveLength(3) // no zero points: symmetric
      expect(ops(graphs[dtype].encoder)).toContain('Conv')
      expect(ops(graphs[dtype].decoder)).toContain('Gather')
    }
    const bnb = nodes(graphs.bnb4.decoder).find((n) => n.opType === 'MatMulBnb4')!
    expect([attr(bnb, 'quant_type'), attr(bnb, 'block_size')]).toEqual([1, 64])
  })

  it("fp16 and q4f16: float16 weights behind float32 inputs and outputs (keep_io_types), as onnx-community's files", () => {
    for (const dtype of ['fp16', 'q4f16'] as const) {
      const {encoder, decoder} = graphs[dtype]
      expect(initializers(encoder).some((t) => t.dataType === T.FLOAT)).toBe(false)
      expect(initializers(decoder).some((t) => t.dataType === T.FLOAT16)).toBe(true)
      expect(ops(decoder)).toContain('Cast')
      expect(elemOf(encoder, 'input_features', 'input')).toBe(T.FLOAT)
      expect(elemOf(decoder, 'logits', 'output')).toBe(T.FLOAT)
      expect(elemOf(decoder, 'past_key_values.0.decoder.key', 'input')).toBe(T.FLOAT)
    }
  })

  it("fp16 with float16 I/O (Optimum's export) takes and gives float16", async () => {
    const half = await testModel('mini-fp16-io')
    const encoder = await load(path.join(half, 'onnx', 'encoder_model_fp16.onnx'))
    const decoder = await load(path.join(half, 'onnx', 'decoder_model_merged_fp16.onnx'))
    expect(elemOf(encoder, 'input_features', 'input')).toBe(T.FLOAT16)
    expect(elemOf(decoder, 'encoder_hidden_states', 'input')).toBe(T.FLOAT16)
    expect(elemOf(decoder, 'past_key_values.1.encoder.value', 'input')).toBe(T.FLOAT16)
    expect(elemOf(decoder, 'logits', 'output')).toBe(T.FLOAT16)
    expect(ops(decoder)).not.toContain('Cast')
  })

  it('compute x·W as close as their precision allows (a wrong packing would be off by ~100%)', async () => {
    const [M, K, N] = [3, 96, 40]
    const w = new WeightFactory(3).linear('w', K, N)
    const x = new WeightFactory(4).normal('x', M * K, 1)
    const g = new GraphBuilder('matmul')
    g.input('x', 'float', [M, K])
    g.op('MatMul', ['x', g.weight('w', w, [K, N])], {}, 'y')
    g.output('y', 'float', [M, N])
    const exact = new Float32Array(M * N)
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) exact[m * N + n]! += x[m * K + k]! * w[k * N + n]!
    // Relative RMS error bounds: 8-bit ≈ 1 %, 4-bit ≈ 8 % on Gaussian weights, float16 ≈ 0.02 %.
    const bound: Record<GeneratorDtype, number> = {
      fp32: 1e-6,
      fp16: 1e-3,
      q8: 0.03,
      int8: 0.03,
      uint8: 0.03,
      q4: 0.15,
      q4f16: 0.15,
      bnb4: 0.15,
    }
    for (const dtype of GENERATOR_DTYPES) {
      const session = await ort.InferenceSession.create(encodeVariant(g.build(), dtype))
      const y = (await session.run({x: new ort.Tensor('float32', x, [M, K])}))['y']!.data as Float32Array
      let error = 0
      let norm = 0
      for (let i = 0; i < y.length; i++) {
        error += (y[i]! - exact[i]!) ** 2
        norm += exact[i]! ** 2
      }
      expect(Math.sqrt(error / norm), dtype).toBeLessThan(bound[dtype])
      await session.release()
    }
  })
})
