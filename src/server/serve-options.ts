import type {DecodingOptions} from '../engine/decode/decoding-options.js'
import type {Engine} from '../engine/engine.js'
import {defaultSessionLimits, type SessionLimits} from './stream-session.js'

/** Every tunable of the server, with its default in `defaultServeOptions`. */
export interface ServeOptions {
  host: string
  port: number
  engine: Engine
  /** The id clients see in /v1/models and /health (default: the model's name). */
  modelId?: string
  token?: string | undefined
  allowOrigins: readonly string[]
  /** Inferences run at once across all sessions. */
  concurrency: number
  /** Open WebSocket sessions; more are refused with HTTP 503. */
  maxSessions: number
  /** Largest WebSocket frame, bytes; bigger ones close the session with 1009. */
  maxPayload: number
  /** Largest upload to /v1/audio/transcriptions, bytes. */
  maxFileBytes: number
  /** A request's headers and body must arrive within this (else 408); WebSocket sessions are not bound by it. */
  requestTimeoutMs: number
  limits: SessionLimits
  ffmpegPath?: string | undefined
  /** Decoding of live sessions and of uploaded files (temperature fallback, thresholds, beams); engine defaults where absent. */
  decoding?: ServeDecoding
  log: (line: string) => void
}

export interface ServeDecoding {
  live?: Partial<DecodingOptions>
  file?: Partial<DecodingOptions>
}

export const defaultServeOptions = {
  host: '127.0.0.1',
  port: 8000,
  allowOrigins: [] as string[],
  concurrency: 1,
  maxSessions: 32,
  maxPayload: 1 << 20,
  maxFileBytes: 100 * (1 << 20),
  requestTimeoutMs: 300_000,
  limits: defaultSessionLimits,
}
