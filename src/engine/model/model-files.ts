import {fileExists} from '../file-exists.js'
import {join} from 'node:path'
import {DTYPE_SUFFIX, formatDtype, partsOf, type Dtype, type DtypeChoice, type DtypeParts} from '../store/registry.js'
import {WhisperStreamError} from '../errors.js'

export type {Dtype, DtypeChoice, DtypeParts}

export type DecoderFiles = {layout: 'merged'; merged: string} | {layout: 'split'; decoder: string; decoderWithPast: string}

export interface ModelFiles {
  dir: string
  /** The variant of each part. */
  dtype: DtypeParts
  encoder: string
  decoder: DecoderFiles
}

/** Finds the ONNX files of a choice: a merged decoder, or the split pair older exports have. */
export async function findModelFiles(dir: string, choice: DtypeChoice): Promise<ModelFiles> {
  const dtype = partsOf(choice)
  const onnx = (name: string, part: Dtype): string => join(dir, 'onnx', `${name}${DTYPE_SUFFIX[part]}.onnx`)
  const encoder = onnx('encoder_model', dtype.encoder)
  const merged = onnx('decoder_model_merged', dtype.decoder)
  const decoder = onnx('decoder_model', dtype.decoder)
  const decoderWithPast = onnx('decoder_with_past_model', dtype.decoder)
  const missing = (file: string): WhisperStreamError =>
    new WhisperStreamError('model-missing', `model file missing: ${file}`, {
      hint: `this model has no ${formatDtype(choice)} variant here; use another dtype or pull this one`,
      details: {reason: 'dtype-missing', dtype: formatDtype(choice)},
    })
  if (!(await fileExists(encoder))) throw missing(encoder)
  if (await fileExists(merged)) return {dir, dtype, encoder, decoder: {layout: 'merged', merged}}
  if ((await fileExists(decoder)) && (await fileExists(decoderWithPast))) {
    return {dir, dtype, encoder, decoder: {layout: 'split', decoder, decoderWithPast}}
  }
  throw missing(merged)
}
