import {WhisperStreamError} from '../errors.js'
import {LogMel} from '../features/log-mel.js'
import type {Tensor} from '../runtime/onnx.js'
import type {WhisperModel} from '../model/whisper-model.js'
import {CachedDecoder, UncachedDecoder, type DecoderRunner} from './decoder-runner.js'
import {alignTokens, canAlign, type AlignmentMethod} from './alignment/align-tokens.js'
import {beamDecode} from './beam-search.js'
import {compressionRatio} from './compression-ratio.js'
import {decodeWithFallback, whisperTemperatures, whisperThresholds, type AttemptQuality, type QualityThresholds} from './fallback.js'
import {averageLogprob, greedyDecode, type GreedyResult, type StopReason} from './greedy.js'
import {argmax, LogitsRules} from './logits-rules.js'
import {isNoSpeech, tokenProbability} from './no-speech.js'
import {defaultLoopRule, type LoopRule} from './repetition.js'
import {seededRandom, type Random} from './sampling.js'

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

/**
 * Turns up to 30 s of audio into tokens: log-mel, one encoder pass, greedy decoding.
 * One per stream: it owns the mel buffer, the input tensor and the decoder's KV cache.
 */
export class WindowTranscriber {
  readonly model: WhisperModel
  readonly options: DecodingOptions
  readonly #mel: LogMel
  #features: {tensor: Tensor; update: () => void; data: Float32Array} | undefined
  readonly #decoder: DecoderRunner
  readonly #rules: LogitsRules
  readonly #gate: InferenceGate | undefined
  readonly #random: Random
  readonly #alignable: boolean
  #language: string | undefined
  readonly counters: DecodeCounters = {windows: 0, attempts: 0, fallbacks: 0, noSpeech: 0, promptResets: 0}

  constructor(model: WhisperModel, options: Partial<DecodingOptions> = {}, gate?: InferenceGate) {
    this.model = model
    this.#gate = gate
    this.options = {...defaultDecodingOptions, ...options}
    const {special, generation} = model
    const {language, task} = this.options
    if (!special.multilingual) {
      if (language !== undefined && language !== 'en') {
        throw new WhisperStreamError('usage', `${model.name} is an English-only model and cannot take language ${language}`, {
          hint: 'use a multilingual model (e.g. tiny) or no language',
          details: {reason: 'english-only-language', model: model.name, language},
        })
      }
      if (task === 'translate') {
        throw new WhisperStreamError('usage', `${model.name} is an English-only model and cannot translate`, {
          hint: 'use a multilingual model to translate',
          details: {reason: 'english-only-translate', model: model.name},
        })
      }
    } else if (language !== undefined && !special.languages.has(language)) {
      throw new WhisperStreamError('usage', `unknown language "${language}"`, {
        hint: `this model knows: ${[...special.languages.keys()].join(', ')}`,
      })
    }
    const {temperatures} = this.options
    if (temperatures.length === 0 || temperatures.some((t) => !Number.isFinite(t) || t < 0)) {
      throw new WhisperStreamError('usage', `temperatures must be one or more numbers of 0 or more, got [${temperatures.join(', ')}]`, {
        hint: "e.g. 0 for greedy only, or 0,0.2,0.4,0.6,0.8,1 (Whisper's schedule)",
      })
    }
    const {beamSize, patience, lengthPenalty} = this.options
    if (!Number.isInteger(beamSize) || beamSize < 1)
      throw new WhisperStreamError('usage', `beam size must be a whole number of 1 or more, got ${beamSize}`, {
        hint: 'e.g. 5, or 1 for greedy',
      })
    if (!(patience > 0)) throw new WhisperStreamError('usage', `patience must be above 0, got ${patience}`, {hint: 'openai-whisper uses 1'})
    if (lengthPenalty !== undefined && !(lengthPenalty >= 0 && lengthPenalty <= 1)) {
      throw new WhisperStreamError('usage', `length penalty must be between 0 and 1, got ${lengthPenalty}`, {
        hint: 'leave it unset for simple length normalisation',
      })
    }
    this.#random = seededRandom(this.options.seed)
    this.#alignable = canAlign(model)
    this.#language = language
    this.#mel = new LogMel(model.preprocessor)
    this.#decoder = this.options.cache
      ? new CachedDecoder(model.decoderSessions, model.decoderShape)
      : new UncachedDecoder(model.decoderSessions, model.decoderShape)
    const maxInitial = this.options.maxInitialTimestampIndex
    this.#rules = new LogitsRules(special, {
      timestamps: this.options.timestamps,
      suppressTokens: generation.suppressTokens,
      beginSuppressTokens: generation.beginSuppressTokens,
      maxInitialTimestampIndex: maxInitial === null ? undefined : (maxInitial ?? generation.maxInitialTimestampIndex),
      monotonicTimestamps: this.options.monotonicTimestamps,
    })
  }

  get language(): string | undefined {
    return this.#language
  }

  /** The start sequence: previous text as prompt, then start-of-transcript, language, task. */
  initTokens(prompt: readonly number[]): number[] {
    const {special} = this.model
    const tokens: number[] = []
    const kept = prompt.slice(Math.max(0, prompt.length - this.options.maxPromptTokens))
    if (kept.length > 0 && special.startOfPrev !== undefined) tokens.push(special.startOfPrev, ...kept)
    tokens.push(special.startOfTranscript)
    if (special.multilingual) {
      const language = special.languages.get(this.#language ?? 'en')
      const task = this.options.task === 'translate' ? special.translate : special.transcribe
      if (language !== undefined) tokens.push(language)
      if (task !== undefined) tokens.push(task)
    }
    if (!this.options.timestamps) tokens.push(special.noTimestamps)
    return tokens
  }

  /** Transcribes `audio[0, length)` (at most 30 s; the rest of the model input is padding). */
  transcribe(audio: Float32Array, length: number, prompt: readonly number[], limits: TranscribeLimits = {}): Promise<WindowResult> {
    const work = (): Promise<WindowResult> => this.#transcribe(audio, length, prompt, limits)
    return this.#gate ? this.#gate.run(work, limits.signal) : work()
  }

  async #transcribe(audio: Float32Array, length: number, prompt: readonly number[], limits: TranscribeLimits): Promise<WindowResult> {
    const features = this.#mel.compute(audio, length)
    if (this.#features?.data !== features) this.#features = {...this.model.featuresInput(features), data: features}
    this.#features.update()
    const hidden = await this.model.encode(this.#features.tensor)
    if (this.model.special.multilingual && this.#language === undefined) {
      this.#language = await this.#detectLanguage(hidden)
    }
    const initTokens = this.initTokens(prompt)
    // openai-whisper's sample_len: at most half the text context per window (the prompt gets the other half).
    const room = Math.min(this.model.generation.maxLength - initTokens.length, this.model.config.maxTargetPositions >> 1)
    const {special} = this.model
    const {thresholds} = this.options
    let noSpeechProb: number | undefined
    let greedyDecoded: readonly number[] = []
    const attempt = async (temperature: number): Promise<GreedyResult & AttemptQuality> => {
      const common = {
        initTokens,
        maxNewTokens: Math.max(1, Math.min(limits.maxNewTokens ?? room, room)),
        endOfText: special.endOfText,
        rules: this.#rules,
        loop: this.options.loop,
        // The start-of-transcript row does not depend on what is sampled after it: read it once.
        keepStartRow:
          noSpeechProb === undefined && special.noSpeech !== undefined ? initTokens.indexOf(special.startOfTranscript) : undefined,
        signal: limits.signal,
      }
      const {beamSize, patience, lengthPenalty} = this.options
      const result =
        temperature === 0 && beamSize > 1
          ? await beamDecode(this.#decoder, hidden, {...common, beamSize, patience, lengthPenalty})
          : await greedyDecode(this.#decoder, hidden, {
              ...common,
              draft: temperature === 0 ? limits.draft : undefined,
              temperature,
              random: this.#random,
            })
      if (temperature === 0) greedyDecoded = result.decoded
      noSpeechProb ??= result.startRow && special.noSpeech !== undefined ? tokenProbability(result.startRow, special.noSpeech) : 0
      const textTokens = result.decoded.filter((token) => token < special.timestampBegin)
      const text = textTokens.length === 0 ? '' : this.model.tokenizer.decode(textTokens).trim()
      return {
        ...result,
        avgLogprob: averageLogprob(result),
        compressionRatio: compressionRatio(text),
        noSpeechProb,
        looped: result.stop === 'loop',
      }
    }
    const {result, temperature, attempts} = await decodeWithFallback(this.options.temperatures, thresholds, attempt)
    const noSpeech = isNoSpeech(result.noSpeechProb, result.avgLogprob, thresholds)
    let tokenTimes: Float64Array | undefined
    if (this.options.wordTimestamps && this.#alignable && !noSpeech && result.tokens.length > 0) {
      const times = await alignTokens(this.model, hidden, initTokens, result.decoded, result.stop === 'end-of-text', length)
      if (times.length > 0) {
        // One entry per kept token plus its end; a token cap leaves the last end to repeat the last start.
        tokenTimes = new Float64Array(result.tokens.length + 1)
        for (let k = 0; k <= result.tokens.length; k++) tokenTimes[k] = times[Math.min(k, times.length - 1)]!
      }
    }
    const resetPrompt = temperature > this.options.promptResetOnTemperature || result.stop === 'loop'
    const counters = this.counters
    counters.windows++
    counters.attempts += attempts
    if (attempts > 1) counters.fallbacks++
    if (noSpeech) counters.noSpeech++
    if (resetPrompt) counters.promptResets++
    return {
      tokens: noSpeech ? [] : result.tokens,
      decoded: result.decoded,
      greedyDecoded: greedyDecoded.length > 0 ? greedyDecoded : result.decoded,
      stop: result.stop,
      language: this.#language,
      temperature,
      attempts,
      avgLogprob: result.avgLogprob,
      compressionRatio: result.compressionRatio,
      noSpeechProb: result.noSpeechProb,
      noSpeech,
      resetPrompt,
      tokenLogprobs: noSpeech ? [] : result.tokenLogprobs.slice(0, result.tokens.length),
      ...(tokenTimes ? {tokenTimes} : {}),
      alignment: tokenTimes ? 'dtw' : 'proportional',
    }
  }

  /** Whisper's language detection: the most likely language token right after start-of-transcript. */
  async #detectLanguage(hidden: Tensor): Promise<string> {
    const logits = await this.#decoder.start([this.model.special.startOfTranscript], hidden)
    const allowed = new Set(this.model.special.languages.values())
    for (let i = 0; i < logits.length; i++) if (!allowed.has(i)) logits[i] = -Infinity
    const best = argmax(logits)
    for (const [code, id] of this.model.special.languages) if (id === best) return code
    return 'en'
  }
}
