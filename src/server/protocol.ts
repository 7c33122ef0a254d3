import type {FinalEvent, PartialEvent} from '../engine/events.js'
import {stepMsRange} from '../engine/stream/streamer-options.js'

/**
 * The /v1/stream protocol: typed messages and their validation. Options come from the query
 * string or a first `start` text frame (the frame wins key by key); binary frames carry audio;
 * text frames carry control. Documented in docs/protocol.md.
 */
export const encodings = ['f32le', 's16le', 'webm'] as const
export type Encoding = (typeof encodings)[number]

export interface StreamOptions {
  sample_rate: number
  encoding: Encoding
  language: string | undefined
  task: 'transcribe' | 'translate'
  step_ms: number
  vad: boolean
  partials: boolean
}

export const defaultStreamOptions: StreamOptions = {
  sample_rate: 16_000,
  encoding: 'f32le',
  language: undefined,
  task: 'transcribe',
  step_ms: 1000,
  vad: true,
  partials: true,
}

/** Error codes of `error` messages, each with the close code that follows it (if the session ends). */
export const errorCodes = {
  /** Text frame that is not JSON, or a start frame with bad values. */
  'invalid-message': 1007,
  /** Unknown message type, or audio in an encoding the session did not announce. */
  'unsupported-message': 1003,
  /** Audio that ffmpeg could not decode (webm, resampling). */
  'undecodable-audio': 1007,
  /** No frame for the idle timeout. */
  'idle-timeout': 1008,
  /** The client sends audio faster than it can be transcribed for too long: backlog over the cap. */
  overloaded: 1013,
  /** The transcription failed on the server. */
  internal: 1011,
} as const
export type ErrorCodeName = keyof typeof errorCodes

export interface ReadyMessage {
  type: 'ready'
  session: number
  model: string
  options: StreamOptions
}
export interface ErrorMessage {
  type: 'error'
  code: ErrorCodeName
  message: string
}
export interface DoneMessage {
  type: 'done'
  /** Seconds of audio received in the session. */
  audio: number
  finals: number
}
export type ServerMessage = ReadyMessage | PartialEvent | FinalEvent | ErrorMessage | DoneMessage

export type ClientControl = {type: 'start'; options: Partial<StreamOptions>} | {type: 'flush'} | {type: 'end'}

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
  ) {
    super(message)
  }
}

const invalid = (message: string): ProtocolError => new ProtocolError('invalid-message', message)

/** Reads option values from a start frame or a query string (where every value is a string). */
export function parseOptions(raw: Record<string, unknown>): Partial<StreamOptions> {
  const out: Partial<StreamOptions> = {}
  const has = (key: string): boolean => raw[key] !== undefined && raw[key] !== null
  if (has('sample_rate')) {
    const rate = Number(raw['sample_rate'])
    if (!Number.isInteger(rate) || rate < 8000 || rate > 192_000)
      throw invalid(`sample_rate must be an integer from 8000 to 192000, got ${String(raw['sample_rate'])}`)
    out.sample_rate = rate
  }
  if (has('encoding')) {
    const encoding = String(raw['encoding'])
    if (!(encodings as readonly string[]).includes(encoding))
      throw invalid(`encoding must be one of ${encodings.join(', ')}, got ${encoding}`)
    out.encoding = encoding as Encoding
  }
  if (has('language')) {
    const language = String(raw['language'])
    if (!/^[a-z]{2,3}(-[a-z]+)?$|^auto$/i.test(language)) throw invalid(`language must be a code like en or de, got ${language}`)
    out.language = language === 'auto' ? undefined : language.toLowerCase()
  }
  if (has('task')) {
    const task = String(raw['task'])
    if (task !== 'transcribe' && task !== 'translate') throw invalid(`task must be transcribe or translate, got ${task}`)
    out.task = task
  }
  if (has('step_ms')) {
    const step = Number(raw['step_ms'])
    if (!Number.isFinite(step) || step < stepMsRange.min || step > stepMsRange.max) {
      throw invalid(`step_ms must be from ${stepMsRange.min} to ${stepMsRange.max}, got ${String(raw['step_ms'])}`)
    }
    out.step_ms = step
  }
  for (const key of ['vad', 'partials'] as const) {
    if (!has(key)) continue
    const value = raw[key]
    if (value === true || value === 'true' || value === '1') out[key] = true
    else if (value === false || value === 'false' || value === '0') out[key] = false
    else throw invalid(`${key} must be true or false, got ${String(value)}`)
  }
  return out
}

export function optionsFromQuery(query: URLSearchParams): Partial<StreamOptions> {
  const raw: Record<string, string> = {}
  for (const key of ['sample_rate', 'encoding', 'language', 'task', 'step_ms', 'vad', 'partials']) {
    const value = query.get(key)
    if (value !== null) raw[key] = value
  }
  return parseOptions(raw)
}

/** Parses one text frame; throws a ProtocolError for anything that is not a known message. */
export function parseControl(text: string): ClientControl {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    throw invalid('text frames must be JSON objects')
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw invalid('text frames must be JSON objects')
  const {type, ...rest} = message as Record<string, unknown>
  switch (type) {
    case 'start':
      return {type: 'start', options: parseOptions(rest)}
    case 'flush':
      return {type: 'flush'}
    case 'end':
      return {type: 'end'}
    default:
      throw new ProtocolError('unsupported-message', `unknown message type ${JSON.stringify(type)}; expected start, flush or end`)
  }
}
