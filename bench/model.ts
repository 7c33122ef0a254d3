// The model a benchmark runs on: the one --model names, or a generated tiny-shaped model (random
// weights, openai/whisper-tiny.en sizes) built once into <repo>/.cache/bench-models/.
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {rename, rm} from 'node:fs/promises'
import path from 'node:path'
import type {PresetName} from '../models/generator/index.js'
import {WhisperStreamError} from '../src/engine/errors.js'
import {cacheDir} from './paths.js'

export interface BenchModel {
  dir: string
  /** How it was obtained, for the report. */
  origin: string
  generated: boolean
}

/**
 * The generator and its dependencies (onnx-proto, gpt-3-encoder) are development tools: the published
 * package leaves them out, so it is loaded only when a model must be generated.
 */
async function loadGenerator(): Promise<typeof import('../models/generator/index.js')> {
  try {
    return await import('../models/generator/index.js')
  } catch (error) {
    throw new WhisperStreamError('usage', 'bench generates its default model with development tools this installation does not have', {
      hint: 'pass --model (a directory, a known name such as tiny.en, or a hub id), or run bench from a clone of the repository',
      cause: error,
    })
  }
}

/** The same weights again with whisper.cpp files beside them (scenario whispercpp); the gain keeps greedy tokens (README). */
const WHISPER_CPP = {ggml: ['f16', 'q8_0'] as const, logitGain: 50, dtypes: ['fp32', 'fp16', 'q8', 'q4'] as const}

/**
 * `withWhisperCpp`: whisper.cpp files beside the ONNX ones (scenario whispercpp); `variants`: every
 * weight variant (fp16, q8, …, bnb4) beside fp32 (scenario variants, --dtype). Each in a folder of its own.
 */
export async function generatedModel(
  preset: PresetName = 'tiny-shaped',
  onStatus?: (line: string) => void,
  withWhisperCpp = false,
  variants = false,
  timestamped = false,
): Promise<BenchModel> {
  const {generateModel, GENERATOR_DTYPES, GENERATOR_VERSION, PRESETS, TRAINED_WEIGHTS, trainedWeightsTag} = await loadGenerator()
  const trained = TRAINED_WEIGHTS[preset]
  const variant = `${withWhisperCpp ? '-vs-whispercpp' : ''}-v${GENERATOR_VERSION}${trained ? `-${trainedWeightsTag(trained)}` : ''}${variants ? '-variants' : ''}${timestamped ? '-timestamped' : ''}`
  const dir = path.join(cacheDir('bench-models'), `${preset}${variant}`)
  const dims = PRESETS[preset]
  const weights = trained ? `trained on synthetic speech, models/trained/${trained}` : 'random weights, seed 1'
  const extra =
    (withWhisperCpp ? `; final LayerNorm gain ${WHISPER_CPP.logitGain}, fp16/q8/q4 variants and whisper.cpp files` : '') +
    (timestamped ? '; decoder with cross_attentions outputs' : '')
  const origin = `generated ${preset} (${weights}; d_model ${dims.dModel}, ${dims.encoderLayers}+${dims.decoderLayers} layers${extra})`
  if (existsSync(dir)) return {dir, origin, generated: true}
  onStatus?.(`generating the ${preset} model into ${dir} (once)`)
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await generateModel({
      out: tmp,
      preset,
      seed: 1,
      ...(withWhisperCpp ? {ggml: [...WHISPER_CPP.ggml], logitGain: WHISPER_CPP.logitGain, dtypes: [...WHISPER_CPP.dtypes]} : {}),
      ...(variants ? {dtypes: GENERATOR_DTYPES} : {}),
      ...(timestamped ? {timestamped: true} : {}),
    })
    await rename(tmp, dir)
  } catch (error) {
    if (!existsSync(dir)) throw error
  } finally {
    await rm(tmp, {recursive: true, force: true})
  }
  return {dir, origin, generated: true}
}

/** A local model directory, a known name or a hub id (resolved through the model store), or the generated default. */
export async function benchModel(
  nameOrDir: string | undefined,
  onStatus?: (line: string) => void,
  preset: PresetName = 'tiny-shaped',
  variants = false,
): Promise<BenchModel> {
  if (nameOrDir === undefined) return generatedModel(preset, onStatus, false, variants)
  if (existsSync(nameOrDir)) return {dir: path.resolve(nameOrDir), origin: `local directory ${path.resolve(nameOrDir)}`, generated: false}
  const {resolveModelInfo} = await import('../src/engine/store/resolve-model.js')
  const info = await resolveModelInfo(nameOrDir, {})
  return {dir: info.dir, origin: `${nameOrDir} (${info.dir})`, generated: false}
}

/** whisper.cpp files of these weights in the model folder, by type ({} when there are none). */
export function ggmlFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [ftype, name] of [
    ['f16', 'ggml-model.bin'],
    ['q8_0', 'ggml-model-q8_0.bin'],
  ] as const) {
    const file = path.join(dir, name)
    if (existsSync(file)) files[ftype] = file
  }
  return files
}
