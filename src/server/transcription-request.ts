import {HttpError} from './http-error.js'
import type {FormPart, SpooledFile} from './upload-form.js'

export const responseFormats = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const
export type ResponseFormat = (typeof responseFormats)[number]

/** What a POST /v1/audio/transcriptions asks for, every field checked. */
export interface TranscriptionRequest {
  file: SpooledFile
  responseFormat: ResponseFormat
  language: string | undefined
  prompt: string | undefined
  /** The temperature schedule: OpenAI's 0 (the default) is Whisper's fallback from 0; T above 0 starts the fallback at T. */
  temperatures: number[] | undefined
  /** timestamp_granularities[]=word: words with times in verbose_json. */
  words: boolean
  /** vad_filter=true (faster-whisper-server's field): only the speech Silero VAD finds is transcribed. */
  vadFilter: boolean
}

/** Longest `prompt` accepted, in characters (Whisper keeps only the last 224 tokens of it anyway). */
export const maxPromptChars = 4096

/** The form fields OpenAI's endpoint takes that this server knows. Anything else is refused with 400. */
const knownFields = new Set([
  'file',
  'model',
  'response_format',
  'language',
  'prompt',
  'temperature',
  'timestamp_granularities[]',
  'stream',
  'vad_filter',
])

const invalid = (param: string, message: string, code?: string): HttpError => new HttpError(400, message, param, code)

/**
 * Checks the whole form (names, duplicates, each value) before any work starts, in this order: unknown and
 * duplicated fields, `file`, then each field by name; the first problem found is the answer.
 */
export function validateTranscriptionForm(
  parts: readonly FormPart[],
  file: SpooledFile | undefined,
  modelId: string,
): TranscriptionRequest {
  const values = new Map<string, FormPart>()
  for (const part of parts) {
    const name = part.name.slice(0, 100)
    if (!knownFields.has(part.name))
      throw invalid(name, `unknown field \`${name}\`; this endpoint takes ${[...knownFields].join(', ')}`, 'unknown_parameter')
    if (values.has(part.name)) throw invalid(name, `the field \`${name}\` appears more than once`, 'duplicate_parameter')
    values.set(part.name, part)
  }
  const filePart = values.get('file')
  if (!filePart) throw invalid('file', 'the form has no `file` part')
  if (filePart.kind !== 'file' || !file) throw invalid('file', '`file` must be a file part (curl: -F file=@talk.wav)')
  if (file.bytes === 0) throw invalid('file', 'the uploaded file is empty', 'invalid_audio')

  const field = (name: string): string | undefined => {
    const part = values.get(name)
    if (!part) return undefined
    if (part.kind !== 'field') throw invalid(name, `\`${name}\` must be a text field, not a file`)
    if (part.truncated) throw invalid(name, `the \`${name}\` field is too long`)
    return part.value
  }

  const model = field('model')
  if (model !== undefined && model !== modelId && model !== 'whisper-1') {
    throw invalid('model', `this server serves model "${modelId}" (or "whisper-1"), not "${model.slice(0, 100)}"`, 'model_not_found')
  }
  const format = field('response_format') ?? 'json'
  if (!(responseFormats as readonly string[]).includes(format)) {
    throw invalid('response_format', `response_format must be one of ${responseFormats.join(', ')}, got "${format.slice(0, 100)}"`)
  }
  // Empty: detect (as when the field is missing), since form UIs send empty fields.
  const language = field('language') || undefined
  if (language !== undefined && !/^[a-z]{2,3}$/i.test(language))
    throw invalid('language', `language must be a code like en or de, got "${language.slice(0, 100)}"`)
  const prompt = field('prompt')
  if (prompt !== undefined && prompt.length > maxPromptChars) throw invalid('prompt', `prompt is longer than ${maxPromptChars} characters`)
  const temperature = field('temperature')
  // OpenAI's meaning: where the temperature fallback starts.
  if (temperature !== undefined && !(/^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(temperature) && Number(temperature) <= 1)) {
    throw invalid('temperature', `temperature must be a number from 0 to 1, got "${temperature.slice(0, 100)}"`)
  }
  const granularity = field('timestamp_granularities[]')
  if (granularity !== undefined && granularity !== 'segment' && granularity !== 'word') {
    throw invalid('timestamp_granularities[]', `timestamp_granularities[] must be "segment" or "word", got "${granularity.slice(0, 100)}"`)
  }
  const stream = field('stream')
  if (stream !== undefined && stream !== 'false') throw invalid('stream', 'stream must be false here (live transcription is ws /v1/stream)')
  const vadFilter = field('vad_filter')
  if (vadFilter !== undefined && vadFilter !== 'true' && vadFilter !== 'false')
    throw invalid('vad_filter', `vad_filter must be true or false, got "${vadFilter.slice(0, 100)}"`)
  return {
    file,
    responseFormat: format as ResponseFormat,
    language: language?.toLowerCase(),
    prompt: prompt?.trim() || undefined,
    temperatures: temperature === undefined ? undefined : fallbackFrom(Number(temperature)),
    words: granularity === 'word',
    vadFilter: vadFilter === 'true',
  }
}

/** openai-whisper's CLI schedule: from `start` up to 1.0 in steps of 0.2 (0 gives Whisper's default). */
function fallbackFrom(start: number): number[] {
  const schedule: number[] = []
  for (let t = start; t <= 1 + 1e-6; t += 0.2) schedule.push(Math.round(t * 1000) / 1000)
  return schedule
}
