/**
 * The friendly names whisper-stream knows, each mapped to a Hugging Face repository that
 * publishes the ONNX layout (config.json, tokenizer.json, onnx/encoder_model*.onnx,
 * onnx/decoder_model_merged*.onnx). Sizes are approximate (for `models list` and prompts only);
 * what is downloaded is always checked against the hub's own sizes and hashes.
 */

/** The weight variants onnx-community publishes for Whisper (transformers.js's dtype names). */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const
export type Dtype = (typeof DTYPES)[number]

/** The file-name suffix each dtype uses in the onnx/ folder (transformers.js convention). */
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
}

export const isDtype = (value: unknown): value is Dtype => typeof value === 'string' && (DTYPES as readonly string[]).includes(value)

/** A variant per part, as transformers.js takes `dtype: {encoder_model: …, decoder_model_merged: …}`. */
export interface DtypeParts {
  encoder: Dtype
  decoder: Dtype
}

/** One dtype for both parts, or one each. */
export type DtypeChoice = Dtype | DtypeParts

export const partsOf = (choice: DtypeChoice): DtypeParts => (typeof choice === 'string' ? {encoder: choice, decoder: choice} : choice)

/** "q8", or "encoder=fp32,decoder=q8" when the parts differ (the form parseDtypeChoice reads). */
export function formatDtype(choice: DtypeChoice): string {
  const {encoder, decoder} = partsOf(choice)
  return encoder === decoder ? encoder : `encoder=${encoder},decoder=${decoder}`
}

export const sameDtype = (a: DtypeChoice, b: DtypeChoice): boolean => formatDtype(a) === formatDtype(b)

/**
 * Reads "q8", or per part "encoder=fp32,decoder=q4" (either part alone takes the other from
 * `fallback`, the model's default). Throws an Error whose message names the bad piece.
 */
export function parseDtypeChoice(text: string, fallback: DtypeChoice = 'fp32'): DtypeChoice {
  const value = text.trim()
  if (isDtype(value)) return value
  const parts = {...partsOf(fallback)}
  const seen = new Set<string>()
  for (const piece of value.split(',')) {
    const match = /^\s*(encoder|decoder)\s*=\s*(\S+?)\s*$/.exec(piece)
    if (!match) throw new Error(`dtype "${value}": expected one of ${DTYPES.join(', ')}, or encoder=DTYPE,decoder=DTYPE`)
    const [, part, dtype] = match as unknown as [string, 'encoder' | 'decoder', string]
    if (seen.has(part)) throw new Error(`dtype "${value}": ${part} is given twice`)
    if (!isDtype(dtype)) throw new Error(`dtype "${value}": unknown ${part} dtype "${dtype}"; use one of ${DTYPES.join(', ')}`)
    seen.add(part)
    parts[part] = dtype
  }
  return parts.encoder === parts.decoder ? parts.encoder : parts
}

export interface ModelFile {
  path: string
  /** A missing optional file is recorded as absent, not an error. */
  optional?: boolean
  /** Files to fetch instead when this one is absent (the unmerged decoder pair). */
  fallback?: string[]
}

export interface RegistryEntry {
  name: string
  repo: string
  description: string
  /** Parameters, in millions: the basis of the approximate sizes. */
  paramsM: number
  dtypes: readonly Dtype[]
  /** What loads when no dtype is chosen (chosen from the bench, see README "Weight variants"). */
  defaultDtype: DtypeChoice
  englishOnly: boolean
}

const ALL: readonly Dtype[] = DTYPES
/**
 * tiny and base on CPU: the encoder in fp32, the decoder in q8. With its 8-bit embedding dequantized
 * once at load (whisper-model.ts), the q8 decoder is the fastest per token in `bench` (whisper.cpp
 * scenario, tiny-shaped: 4.70 / 3.78 ms at 1 / 2 threads against q4's 4.93 / 3.84 and fp32's 5.53 /
 * 4.17), its file is a third of q4's (which keeps the embedding in float), and 8-bit weights stay closer
 * to fp32 than 4-bit; the encoder stays fp32 so the audio side loses nothing.
 */
const FLOAT_ENCODER_Q8_DECODER: DtypeParts = {encoder: 'fp32', decoder: 'q8'}
/** distil-whisper repositories ship the older transformers.js export: no q4 files. */
const DISTIL: readonly Dtype[] = ['fp32', 'fp16', 'q8']

export const REGISTRY: readonly RegistryEntry[] = [
  {
    name: 'tiny.en',
    repo: 'onnx-community/whisper-tiny.en',
    description: 'Whisper tiny, English only',
    paramsM: 39,
    dtypes: ALL,
    defaultDtype: FLOAT_ENCODER_Q8_DECODER,
    englishOnly: true,
  },
  {
    name: 'tiny',
    repo: 'onnx-community/whisper-tiny',
    description: 'Whisper tiny, multilingual',
    paramsM: 39,
    dtypes: ALL,
    defaultDtype: FLOAT_ENCODER_Q8_DECODER,
    englishOnly: false,
  },
  {
    name: 'base.en',
    repo: 'onnx-community/whisper-base.en',
    description: 'Whisper base, English only',
    paramsM: 74,
    dtypes: ALL,
    defaultDtype: FLOAT_ENCODER_Q8_DECODER,
    englishOnly: true,
  },
  {
    name: 'base',
    repo: 'onnx-community/whisper-base',
    description: 'Whisper base, multilingual',
    paramsM: 74,
    dtypes: ALL,
    defaultDtype: FLOAT_ENCODER_Q8_DECODER,
    englishOnly: false,
  },
  {
    name: 'small.en',
    repo: 'onnx-community/whisper-small.en',
    description: 'Whisper small, English only',
    paramsM: 244,
    dtypes: ALL,
    defaultDtype: 'q8',
    englishOnly: true,
  },
  {
    name: 'small',
    repo: 'onnx-community/whisper-small',
    description: 'Whisper small, multilingual',
    paramsM: 244,
    dtypes: ALL,
    defaultDtype: 'q8',
    englishOnly: false,
  },
  {
    name: 'large-v3-turbo',
    repo: 'onnx-community/whisper-large-v3-turbo',
    description: 'Whisper large-v3 turbo (4 decoder layers), multilingual',
    paramsM: 809,
    dtypes: ALL,
    defaultDtype: 'q8',
    englishOnly: false,
  },
  {
    name: 'distil-small.en',
    repo: 'distil-whisper/distil-small.en',
    description: 'Distil-Whisper small, English only',
    paramsM: 166,
    dtypes: DISTIL,
    defaultDtype: 'q8',
    englishOnly: true,
  },
  {
    name: 'distil-medium.en',
    repo: 'distil-whisper/distil-medium.en',
    description: 'Distil-Whisper medium, English only',
    paramsM: 394,
    dtypes: DISTIL,
    defaultDtype: 'q8',
    englishOnly: true,
  },
  {
    name: 'distil-large-v3',
    repo: 'distil-whisper/distil-large-v3',
    description: 'Distil-Whisper large-v3, English transcription',
    paramsM: 756,
    dtypes: DISTIL,
    defaultDtype: 'q8',
    englishOnly: false,
  },
]

export const DEFAULT_MODEL = 'tiny.en'

export const findEntry = (name: string): RegistryEntry | undefined => REGISTRY.find((entry) => entry.name === name)

export const findEntryByRepo = (repo: string): RegistryEntry | undefined =>
  REGISTRY.find((entry) => entry.repo.toLowerCase() === repo.toLowerCase())

/** The small JSON/tokenizer files every dtype needs. */
export const COMMON_FILES: readonly ModelFile[] = [
  {path: 'config.json'},
  {path: 'generation_config.json'},
  // transformers 5 saves processor_config.json (settings under "feature_extractor") instead.
  {path: 'preprocessor_config.json', fallback: ['processor_config.json']},
  {path: 'tokenizer.json'},
  {path: 'tokenizer_config.json', optional: true},
  // Older repos list added tokens here (timestamps their tokenizer.json lacks).
  {path: 'added_tokens.json', optional: true},
]

/** Exactly the files a choice needs, in download order (small files first). */
export function filesForDtype(choice: DtypeChoice): ModelFile[] {
  return [...COMMON_FILES, ...encoderFiles(partsOf(choice).encoder), ...decoderFiles(partsOf(choice).decoder)]
}

export function encoderFiles(dtype: Dtype): ModelFile[] {
  const suffix = DTYPE_SUFFIX[dtype]
  return [
    {path: `onnx/encoder_model${suffix}.onnx`},
    // Graphs over 2 GB (large models in fp32) keep their weights in an external data file.
    {path: `onnx/encoder_model${suffix}.onnx_data`, optional: true},
  ]
}

export function decoderFiles(dtype: Dtype): ModelFile[] {
  const suffix = DTYPE_SUFFIX[dtype]
  return [
    {
      path: `onnx/decoder_model_merged${suffix}.onnx`,
      fallback: [`onnx/decoder_model${suffix}.onnx`, `onnx/decoder_with_past_model${suffix}.onnx`],
    },
  ]
}

/** Bytes per parameter of each variant's files; 4-bit decoders keep the embedding in float. */
const BYTES_PER_PARAM: Record<Dtype, number> = {fp32: 4, fp16: 2, q8: 1.05, int8: 1.05, uint8: 1.05, q4: 2.2, q4f16: 1.3, bnb4: 2.2}

/** Approximate download size in bytes (weights dominate; the merged decoder adds ~10%). */
export const approximateSize = (entry: RegistryEntry, choice: DtypeChoice): number => {
  const {encoder, decoder} = partsOf(choice)
  return Math.round(entry.paramsM * 1e6 * ((BYTES_PER_PARAM[encoder] + BYTES_PER_PARAM[decoder]) / 2) * 1.1)
}
