import {access} from 'node:fs/promises'
import {join} from 'node:path'
import {DTYPE_SUFFIX, type Dtype} from '../store/registry.js'
import {WhisperStreamError} from '../errors.js'

export type {Dtype}

export type DecoderFiles = {layout: 'merged'; merged: string} | {layout: 'split'; decoder: string; decoderWithPast: string}

export interface ModelFiles {
  dir: string
  dtype: Dtype
  encoder: string
  decoder: DecoderFiles
}

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )

/** Finds the ONNX files of one dtype: a merged decoder, or the split pair older exports have. */
export async function findModelFiles(dir: string, dtype: Dtype): Promise<ModelFiles> {
  const suffix = DTYPE_SUFFIX[dtype]
  const onnx = (name: string): string => join(dir, 'onnx', `${name}${suffix}.onnx`)
  const encoder = onnx('encoder_model')
  const merged = onnx('decoder_model_merged')
  const decoder = onnx('decoder_model')
  const decoderWithPast = onnx('decoder_with_past_model')
  const missing = (file: string): WhisperStreamError =>
    new WhisperStreamError('model-missing', `model file missing: ${file}`, {
      hint: `this model has no ${dtype} variant here; use another dtype or pull this one`,
      details: {reason: 'dtype-missing', dtype},
    })
  if (!(await exists(encoder))) throw missing(encoder)
  if (await exists(merged)) return {dir, dtype, encoder, decoder: {layout: 'merged', merged}}
  if ((await exists(decoder)) && (await exists(decoderWithPast))) {
    return {dir, dtype, encoder, decoder: {layout: 'split', decoder, decoderWithPast}}
  }
  throw missing(merged)
}
