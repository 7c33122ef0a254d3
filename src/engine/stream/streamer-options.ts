import {WhisperStreamError} from '../errors.js'

/** Every tunable of the streaming policy, with its default below. Durations in milliseconds. */
export interface StreamerOptions {
  /** Run one inference step per this much new audio (coalesced when inference is slower). */
  stepMs: number
  /** Longest window handed to the backend; clipped to the backend's maxSamples (Whisper: 30 s). */
  maxWindowSeconds: number
  /** Committed tokens fed back as the prompt (a fixed-size tail). 0 disables the prompt. */
  maxPromptTokens: number
  /**
   * Drop the prompt after this much transcribed speech that committed nothing: a poisoned prompt
   * must not silence the rest of a stream. 0 never drops it for this reason.
   */
  promptResetAfterMs: number
  /** LocalAgreement boundary dedupe: longest committed n-gram compared (ufal: 5). */
  dedupeMaxNgram: number
  /** LocalAgreement boundary dedupe: a repeated n-gram starting up to this long after the committed end is a re-transcription (ufal: 1 s). */
  dedupeSlackMs: number
  /**
   * After a normal commit the window is cut at the last closed segment that is fully
   * committed; when the window is longer than this and no such segment exists, it is cut
   * at the end of the last committed word.
   */
  trimAfterMs: number
  /** On a forced commit (window full), words ending within this much of the window's end stay tentative: they may be cut. */
  forceCommitGuardMs: number
  /** Do not emit partial events. */
  noPartials: boolean
  /** Emit a stats event after every inference step. */
  stats: boolean
  /** Attach token ids to final events. */
  emitTokens: boolean
  /** Attach the committed words with their times to final events. */
  emitWords: boolean
  /** Gate inference on voice activity and finalize utterances at pauses (needs a VoiceActivity). */
  vad: boolean
  /** Speech probability at or above which a frame is speech. */
  vadThreshold: number
  /** Hysteresis: once speaking, a frame is silence only below this probability. */
  vadNegThreshold: number
  /** Silence after speech that ends an utterance: everything is committed and the window reset. */
  vadSilenceMs: number
  /** Audio kept before a speech onset (and after an utterance end) as context. */
  vadPadMs: number
  /** Cancels the stream: the running inference receives it, flush() rejects with 'aborted'. */
  signal?: AbortSignal
}

export const defaultStreamerOptions: Readonly<StreamerOptions> = Object.freeze({
  stepMs: 1000,
  maxWindowSeconds: 30,
  maxPromptTokens: 128,
  promptResetAfterMs: 10_000,
  dedupeMaxNgram: 5,
  dedupeSlackMs: 1000,
  trimAfterMs: 15_000,
  forceCommitGuardMs: 1000,
  noPartials: false,
  stats: true,
  emitTokens: false,
  emitWords: false,
  vad: true,
  vadThreshold: 0.5,
  vadNegThreshold: 0.35,
  vadSilenceMs: 500,
  vadPadMs: 200,
})

/** Steps the live adapters accept: shorter ones only repeat work, longer ones leave a partial stale for too long. */
export const stepMsRange = Object.freeze({min: 200, max: 10_000})

/** Fills defaults and checks ranges; bad values are usage errors. */
export function resolveStreamerOptions(input: Partial<StreamerOptions> = {}): StreamerOptions {
  const options: StreamerOptions = {...defaultStreamerOptions}
  for (const [key, value] of Object.entries(input)) if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value
  if (input.vadThreshold !== undefined && input.vadNegThreshold === undefined) {
    options.vadNegThreshold = Math.max(
      0,
      options.vadThreshold - (defaultStreamerOptions.vadThreshold - defaultStreamerOptions.vadNegThreshold),
    )
  }
  const positive: Array<keyof StreamerOptions> = ['stepMs', 'maxWindowSeconds', 'vadSilenceMs']
  for (const key of positive) {
    const value = options[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) usage(`${key} must be a positive number, got ${String(value)}`)
  }
  const nonNegative: Array<keyof StreamerOptions> = [
    'maxPromptTokens',
    'promptResetAfterMs',
    'trimAfterMs',
    'forceCommitGuardMs',
    'vadPadMs',
    'dedupeMaxNgram',
    'dedupeSlackMs',
  ]
  for (const key of nonNegative) {
    const value = options[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) usage(`${key} must be zero or more, got ${String(value)}`)
  }
  if (!Number.isInteger(options.maxPromptTokens)) usage(`maxPromptTokens must be an integer, got ${options.maxPromptTokens}`)
  if (!(options.vadThreshold > 0 && options.vadThreshold < 1)) usage(`vadThreshold must be between 0 and 1, got ${options.vadThreshold}`)
  if (!(options.vadNegThreshold >= 0 && options.vadNegThreshold <= options.vadThreshold)) {
    usage(`vadNegThreshold must be between 0 and vadThreshold, got ${options.vadNegThreshold}`)
  }
  return options
}

function usage(message: string): never {
  throw new WhisperStreamError('usage', message, {hint: 'check the streaming options'})
}
