import {WhisperStreamError} from '../errors.js'
import {LogMel} from '../features/log-mel.js'
import type {Tensor} from '../runtime/onnx.js'
import type {WhisperModel} from '../model/whisper-model.js'
import {CachedDecoder, UncachedDecoder, type DecoderRunner} from './decoder-runner.js'
import {alignTokens, canAlign} from './alignment/align-tokens.js'
import {beamDecode} from './beam-search.js'
import {compressionRatio} from './compression-ratio.js'
import {decodeWithFallback, type AttemptQuality} from './fallback.js'
import {averageLogprob, greedyDecode, type GreedyResult} from './greedy.js'
import {argmax, LogitsRules} from './logits-rules.js'
import {isNoSpeech, tokenProbability} from './no-speech.js'
import {seededRandom, type Random} from './sampling.js'

export {
  defaultDecodingOptions,
  type DecodeCounters,
  type DecodingOptions,
  type InferenceGate,
  type Task,
  type TranscribeLimits,
  type WindowResult,
} from './decoding-options.js'
import {
  defaultDecodingOptions,
  type DecodeCounters,
  type DecodingOptions,
  type InferenceGate,
  type TranscribeLimits,
  type WindowResult,
} from './decoding-options.js'

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
