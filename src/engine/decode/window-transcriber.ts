import {WhisperStreamError} from '../errors.js'
import {LogMel} from '../features/log-mel.js'
import type {Tensor} from '../runtime/onnx.js'
import type {WhisperModel} from '../model/whisper-model.js'
import {CachedDecoder, UncachedDecoder, type DecoderRunner} from './decoder-runner.js'
import {greedyDecode, type StopReason} from './greedy.js'
import {argmax, LogitsRules} from './logits-rules.js'
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
}

export const defaultDecodingOptions: DecodingOptions = {
  language: undefined,
  task: 'transcribe',
  timestamps: true,
  cache: true,
  maxPromptTokens: 223,
  loop: defaultLoopRule,
  monotonicTimestamps: true,
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
  tokens: number[]
  /** Every token chosen, a cut repetition loop included. */
  decoded: readonly number[]
  stop: StopReason
  language: string | undefined
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
  #language: string | undefined

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
    const room = this.model.generation.maxLength - initTokens.length
    const result = await greedyDecode(this.#decoder, hidden, {
      initTokens,
      maxNewTokens: Math.max(1, Math.min(limits.maxNewTokens ?? room, room)),
      endOfText: this.model.special.endOfText,
      rules: this.#rules,
      loop: this.options.loop,
      draft: limits.draft,
      signal: limits.signal,
    })
    return {...result, language: this.#language}
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
