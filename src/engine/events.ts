/** Times are seconds from the start of the stream; they appear only here, at the output edge. */
export interface PartialEvent {
  type: 'partial'
  text: string
  start: number
  end: number
}

/** One word of a final with its times (seconds from the start of the stream); `text` keeps its leading space. */
export interface WordTiming {
  text: string
  start: number
  end: number
  probability: number
}

export interface FinalEvent {
  type: 'final'
  id: number
  text: string
  start: number
  end: number
  /** Token ids of the segment, when the caller asked for them (parity checks, verbose_json). */
  tokens?: number[]
  /** Word times, when the caller asked for them. */
  words?: WordTiming[]
  /** How `words` were timed: from cross-attention by DTW, or as a share of the segment (models without `_timestamped` outputs). */
  alignment?: 'dtw' | 'proportional'
}

export interface StatsEvent {
  type: 'stats'
  /** Seconds of audio consumed so far. */
  audio: number
  /** Wall-clock milliseconds spent on the last inference step. */
  stepMs: number
  /** Compute time over audio time for the last step. */
  rtf: number
  speaking: boolean
  /** RMS level of the latest audio, 0..1. */
  level: number
  /** Temperature of the last step's kept decode and decodes run for it (above 1: Whisper's fallback ran). */
  temperature?: number
  attempts?: number
  /** Times this stream's prompt was dropped so far (hot fallback, cut loop, or speech that committed nothing). */
  promptResets?: number
}

/** The voice activity detector changed its mind: speech started or stopped. */
export interface VoiceEvent {
  type: 'voice'
  speaking: boolean
  /** Stream time of the change, in seconds. */
  at: number
}

export type TranscriptEvent = PartialEvent | FinalEvent
export type EngineEvent = TranscriptEvent | StatsEvent | VoiceEvent

/** Seconds as every event and response gives them: to the millisecond. */
export const roundSeconds = (seconds: number): number => Math.round(seconds * 1000) / 1000

/** The engine's internal clock is integer samples; this converts once, at the edge. */
export const samplesToSeconds = (samples: number, sampleRate: number): number => roundSeconds(samples / sampleRate)
