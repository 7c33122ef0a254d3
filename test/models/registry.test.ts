import {describe, expect, it} from 'vitest'
import {filesForDtype, formatDtype, parseDtypeChoice} from '../../src/engine/store/registry.js'

describe('dtype choices', () => {
  it('read one dtype for both parts, or one per part (a missing part from the fallback)', () => {
    expect(parseDtypeChoice('q8')).toBe('q8')
    expect(parseDtypeChoice('encoder=fp32,decoder=q4')).toEqual({encoder: 'fp32', decoder: 'q4'})
    expect(parseDtypeChoice(' decoder = q4f16 ', 'q8')).toEqual({encoder: 'q8', decoder: 'q4f16'})
    expect(parseDtypeChoice('encoder=bnb4,decoder=bnb4')).toBe('bnb4')
    expect(formatDtype({encoder: 'fp32', decoder: 'q8'})).toBe('encoder=fp32,decoder=q8')
    expect(formatDtype({encoder: 'int8', decoder: 'int8'})).toBe('int8')
  })

  it('refuse what they cannot read, naming the piece', () => {
    expect(() => parseDtypeChoice('q3')).toThrow(/"q3"/)
    expect(() => parseDtypeChoice('encoder=fp32,decoder=fp8')).toThrow(/decoder dtype "fp8"/)
    expect(() => parseDtypeChoice('encoder=fp32,encoder=q4')).toThrow(/encoder is given twice/)
    expect(() => parseDtypeChoice('joiner=fp32')).toThrow(/encoder=DTYPE,decoder=DTYPE/)
  })

  it('need exactly the files of each part', () => {
    const onnx = filesForDtype({encoder: 'uint8', decoder: 'q4f16'}).filter((f) => f.path.startsWith('onnx/'))
    expect(onnx.map((f) => [f.path, ...(f.fallback ?? [])])).toEqual([
      ['onnx/encoder_model_uint8.onnx'],
      ['onnx/encoder_model_uint8.onnx_data'],
      ['onnx/decoder_model_merged_q4f16.onnx', 'onnx/decoder_model_q4f16.onnx', 'onnx/decoder_with_past_model_q4f16.onnx'],
    ])
  })
})
