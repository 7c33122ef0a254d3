import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {WhisperStreamError} from '../errors.js'

/** The parts of config.json the engine relies on. */
export interface WhisperConfig {
  dModel: number
  encoderLayers: number
  decoderLayers: number
  encoderHeads: number
  decoderHeads: number
  melBins: number
  vocabSize: number
  maxSourcePositions: number
  maxTargetPositions: number
}

/** The parts of generation_config.json (with fallbacks from config.json) that drive decoding. */
export interface GenerationConfig {
  decoderStartTokenId: number
  eosTokenId: number
  noTimestampsTokenId: number | undefined
  prevSotTokenId: number | undefined
  suppressTokens: number[]
  beginSuppressTokens: number[]
  maxInitialTimestampIndex: number | undefined
  maxLength: number
  isMultilingual: boolean | undefined
  langToId: Record<string, number> | undefined
  taskToId: Record<string, number> | undefined
  /** [decoder layer, head] pairs whose cross-attention follows the audio (word timestamps by DTW). */
  alignmentHeads: Array<[number, number]>
  /** Width of the median filter over the alignment heads' attention (config.json; Whisper: 7). */
  medianFilterWidth: number
}

type Json = Record<string, unknown>

export async function readJsonFile(dir: string, name: string, required = true): Promise<Json | undefined> {
  const path = join(dir, name)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new WhisperStreamError('model-missing', `model file missing: ${path}`, {
      hint: 'the model directory is incomplete; pull the model again',
      details: {reason: 'model-incomplete'},
      cause: error,
    })
  }
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object')
    return value as Json
  } catch (error) {
    throw new WhisperStreamError('model-corrupt', `model file is not valid JSON: ${path}`, {
      hint: 'the file is damaged; delete the model and pull it again',
      cause: error,
    })
  }
}

const integer = (json: Json, key: string, file: string, fallback?: number): number => {
  const value = json[key] ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new WhisperStreamError('model-corrupt', `${file}: "${key}" must be a non-negative integer`, {
      hint: 'the model directory does not look like a Hugging Face Whisper export',
    })
  }
  return value
}

const optionalInteger = (json: Json, key: string): number | undefined => {
  const value = json[key]
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined
}

const integerList = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v)) : []

const idMap = (value: unknown): Record<string, number> | undefined => {
  if (typeof value !== 'object' || value === null) return undefined
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'))
}

export function parseWhisperConfig(json: Json): WhisperConfig {
  const file = 'config.json'
  if (json['model_type'] !== undefined && json['model_type'] !== 'whisper') {
    throw new WhisperStreamError('model-mismatch', `${file}: model_type is "${String(json['model_type'])}", not "whisper"`, {
      hint: 'use a Whisper model',
      details: {reason: 'not-whisper'},
    })
  }
  return {
    dModel: integer(json, 'd_model', file),
    encoderLayers: integer(json, 'encoder_layers', file),
    decoderLayers: integer(json, 'decoder_layers', file),
    encoderHeads: integer(json, 'encoder_attention_heads', file),
    decoderHeads: integer(json, 'decoder_attention_heads', file),
    melBins: integer(json, 'num_mel_bins', file),
    vocabSize: integer(json, 'vocab_size', file),
    maxSourcePositions: integer(json, 'max_source_positions', file, 1500),
    maxTargetPositions: integer(json, 'max_target_positions', file, 448),
  }
}

/** generation_config.json wins; config.json fills what older exports kept there. */
export function parseGenerationConfig(generation: Json | undefined, config: Json): GenerationConfig {
  const merged: Json = {...config, ...generation}
  const file = generation ? 'generation_config.json' : 'config.json'
  const eos = Array.isArray(merged['eos_token_id']) ? (merged['eos_token_id'] as unknown[])[0] : merged['eos_token_id']
  return {
    decoderStartTokenId: integer(merged, 'decoder_start_token_id', file),
    eosTokenId: integer({eos}, 'eos', file),
    noTimestampsTokenId: optionalInteger(merged, 'no_timestamps_token_id'),
    prevSotTokenId: optionalInteger(merged, 'prev_sot_token_id'),
    suppressTokens: integerList(merged['suppress_tokens']),
    beginSuppressTokens: integerList(merged['begin_suppress_tokens']),
    maxInitialTimestampIndex: optionalInteger(merged, 'max_initial_timestamp_index'),
    maxLength: integer(merged, 'max_length', file, 448),
    isMultilingual: typeof merged['is_multilingual'] === 'boolean' ? merged['is_multilingual'] : undefined,
    langToId: idMap(merged['lang_to_id']),
    taskToId: idMap(merged['task_to_id']),
    alignmentHeads: headPairs(merged['alignment_heads']),
    medianFilterWidth: oddWidth(merged['median_filter_width']),
  }
}

const headPairs = (value: unknown): Array<[number, number]> =>
  Array.isArray(value)
    ? value.filter(
        (pair): pair is [number, number] =>
          Array.isArray(pair) && pair.length === 2 && pair.every((n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0),
      )
    : []

const oddWidth = (value: unknown): number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 && value % 2 === 1 ? value : 7
