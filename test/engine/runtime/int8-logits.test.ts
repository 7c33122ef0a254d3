// The 8-bit logits rewrite on the generated variants (laid out as onnxruntime's quantizer writes them).
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import onnxProto from 'onnx-proto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CachedDecoder} from '../../../src/engine/decode/decoder-runner.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {int8LogitsModel} from '../../../src/engine/runtime/int8-logits.js'
import {Tensor} from '../../../src/engine/runtime/onnx.js'
import {testModel} from '../../helpers/test-models.js'

const {onnx} = onnxProto
type Graph = onnxProto.onnx.IGraphProto

const opsOf = (graph: Graph): string[] =>
  (graph.node ?? []).flatMap((n) => [n.opType!, ...(n.attribute ?? []).flatMap((a) => (a.g ? opsOf(a.g) : []))])
const count = (ops: string[]): Map<string, number> => ops.reduce((m, op) => m.set(op, (m.get(op) ?? 0) + 1), new Map<string, number>())

let dir: string
beforeAll(async () => {
  dir = await testModel('mini-variants')
})

const decoderFile = (suffix: string): Promise<Uint8Array> => readFile(path.join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`))

describe('int8LogitsModel', () => {
  it.each(['_quantized', '_int8', '_uint8'])('%s: both If branches project with MatMulNBits; nothing else changes', async (suffix) => {
    const before = onnx.ModelProto.decode(await decoderFile(suffix))
    const rewritten = await int8LogitsModel(await decoderFile(suffix))
    expect(rewritten).toBeDefined()
    const after = onnx.ModelProto.decode(rewritten!)
    const [was, is] = [count(opsOf(before.graph!)), count(opsOf(after.graph!))]
    expect(is.get('MatMulNBits')).toBe(2)
    expect(is.get('MatMul')).toBe(was.get('MatMul')! - 2)
    expect(is.get('Transpose')).toBe(was.get('Transpose')! - 1)
    expect(is.get('DequantizeLinear')).toBe(was.get('DequantizeLinear')! - 1)
    expect(after.opsetImport?.some((o) => o.domain === 'com.microsoft')).toBe(true)
  })

  it.each(['decoder_model_quantized', 'decoder_with_past_model_quantized'])(
    'split layout, %s: its one projection is rewritten',
    async (file) => {
      const split = await testModel('mini-split-q8')
      const rewritten = await int8LogitsModel(await readFile(path.join(split, 'onnx', `${file}.onnx`)))
      expect(count(opsOf(onnx.ModelProto.decode(rewritten!).graph!)).get('MatMulNBits')).toBe(1)
    },
  )

  it.each(['', '_fp16', '_q4', '_q4f16', '_bnb4'])('%s: a decoder without an 8-bit tied projection is left alone', async (suffix) => {
    expect(await int8LogitsModel(await decoderFile(suffix))).toBeUndefined()
  })
})

describe('8-bit logits against the float projection of the same q8 file', () => {
  const models: WhisperModel[] = []
  afterAll(async () => {
    for (const m of models) await m.release()
  })

  it.each(['mini-variants', 'mini-split-q8'] as const)(
    '%s: logits within int8 rounding, the same argmax, first and cached calls',
    async (name) => {
      const modelDir = await testModel(name)
      const [int8, float] = await Promise.all(
        [true, false].map((int8Logits) => WhisperModel.load(modelDir, {dtype: {encoder: 'fp32', decoder: 'q8'}, int8Logits, threads: 1})),
      )
      models.push(int8!, float!)
      const {maxSourcePositions, dModel} = int8!.config
      const hidden = new Tensor(
        'float32',
        Float32Array.from({length: maxSourcePositions * dModel}, (_, i) => Math.sin(i * 0.37)),
        [1, maxSourcePositions, dModel],
      )
      const runners = [int8!, float!].map((m) => new CachedDecoder(m.decoderSessions, m.decoderShape))
      const prompt = [int8!.special.startOfTranscript]
      let [a, b] = await Promise.all(runners.map(async (r) => Float32Array.from(await r.start(prompt, hidden))))
      for (let step = 0; step < 4; step++) {
        const scale = Math.max(...b!.map(Math.abs))
        const worst = Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)))
        expect(worst, `step ${step}`).toBeGreaterThan(0) // the rewrite ran: int8 activations round
        expect(worst, `step ${step}`).toBeLessThan(0.05 * scale)
        const token = argmax(b!)
        expect(argmax(a!), `step ${step}`).toBe(token)
        ;[a, b] = await Promise.all(runners.map(async (r) => Float32Array.from(await r.next(token))))
      }
    },
  )
})

const argmax = (values: Float32Array): number => values.reduce((best, v, i) => (v > values[best]! ? i : best), 0)
