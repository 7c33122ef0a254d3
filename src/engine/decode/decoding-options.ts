// What a window decode is asked for and what it reports: the options record with its defaults, the
// counters and the result, apart from the transcriber that acts on them.
import type {AlignmentMethod} from './alignment/align-tokens.js'
import {whisperTemperatures, whisperThresholds, type QualityThresholds} from './fallback.js'
import type {StopReason} from './greedy.js'
import {defaultLoopRule, type LoopRule} from './repetition.js'

export type Task = 'transcribe' | 'translate'

export interface DecodingOptions {
  /** Language code ("en", "de"); undefined detects it on multilingual models. */
  language: string | undefined
  task: Task
  timestamps: boolean
  /** KV-cached decoding (the default) or the uncached baseline. */
  cache: boolean
  /** Prompt tokens kept at most (Whisper: half the text context minus one). */
  maxPromptTokens: number
  loop: LoopRule | undefined
  /** Override the model's max_initial_timestamp_index; null lets any first timestamp through. */
  maxInitialTimestampIndex?: number | null
  monotonicTimestamps: boolean
  /** Temperatures tried in turn until a decode passes the thresholds (Whisper: 0, 0.2, … 1.0); [0] is greedy only. */
  temperatures: readonly number[]
  /** Fallback and no-speech thresholds; undefined turns one off. */
  thresholds: QualityThresholds
  /** Seed of the sampling at temperatures above 0: equal seeds, equal output. */
  seed: number
  /** A decode kept at a temperature above this one poisons the prompt: callers drop it (faster-whisper: 0.5). */
  promptResetOnTemperature: number
  /** Beams of the temperature-0 decode; 1 is greedy (with the draft on the live path). */
  beamSize: number
  /** openai-whisper's patience: beam search runs until round(beamSize × patience) sequences finished. */
  patience: number
  /** undefined: rank finished beams by log-probability over length; α: by ((5 + length) / 6)^α. */
  lengthPenalty: number | undefined
  /** Time every token by cross-attention and DTW, when the model has the `_timestamped` outputs. */
  wordTimestamps: boolean
}

export const defaultDecodingOptions: DecodingOptions = {
  language: undefined,
  task: 'transcribe',
  timestamps: true,
  cache: true,
  maxPromptTokens: 223,
  loop: defaultLoopRule,
  monotonicTimestamps: true,
  temperatures: whisperTemperatures,
  thresholds: whisperThresholds,
  seed: 0,
  promptResetOnTemperature: 0.5,
  beamSize: 1,
  patience: 1,
  lengthPenalty: undefined,
  wordTimestamps: false,
}

/** What decoding did so far, summed over windows: how often Whisper's safety nets caught something. */
export interface DecodeCounters {
  windows: number
  /** Decodes run in all, fallbacks included. */
  attempts: number
  /** Windows whose first decode failed the thresholds. */
  fallbacks: number
  /** Windows the no-speech gate dropped. */
  noSpeech: number
  /** Windows after which the prompt was dropped (kept at a high temperature, or cut for looping). */
  promptResets: number
}

/** Something that runs inference steps in turn, e.g. a scheduler shared by many streams. */
export interface InferenceGate {
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>
}

export interface TranscribeLimits {
  maxNewTokens?: number | undefined
  signal?: AbortSignal | undefined
  /** A guess at the tokens (e.g. the previous step's); it saves decoder calls, never changes the result. */
  draft?: readonly number[] | undefined
}

export interface WindowResult {
  /** Empty when the no-speech gate dropped the window. */
  tokens: number[]
  /** Every token chosen, a cut repetition loop included. */
  decoded: readonly number[]
  /** The temperature-0 attempt's `decoded`: the best draft for a later step on the same audio. */
  greedyDecoded: readonly number[]
  stop: StopReason
  language: string | undefined
  /** Temperature of the kept decode, and how many decodes ran (1: no fallback). */
  temperature: number
  attempts: number
  avgLogprob: number
  compressionRatio: number
  /** Probability of <|nospeech|> after start-of-transcript; 0 when the model has no such token. */
  noSpeechProb: number
  /** The no-speech gate dropped this window: it holds silence, not words. */
  noSpeech: boolean
  /** The prompt fed to this window should not feed the next: kept at a high temperature, or cut for looping. */
  resetPrompt: boolean
  /**
   * With `wordTimestamps` on a `_timestamped` model: seconds from the window's start where each of
   * `tokens` starts (`tokenTimes[k]`) and ends (`tokenTimes[k + 1]`), found by DTW over cross-attention.
   */
  tokenTimes?: Float64Array
  /** log p of each of `tokens` as decoded (word probabilities). */
  tokenLogprobs: readonly number[]
  /** How word times are to be found: 'dtw' when `tokenTimes` is set, else 'proportional' (a share of the segment). */
  alignment: AlignmentMethod
}
