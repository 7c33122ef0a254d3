import {parseTimestamped} from '../decode/segments.js'
import type {WindowTranscriber} from '../decode/window-transcriber.js'
import {contiguous, segmentWords, textTokenIndices, WordGrouper} from '../decode/word-grouping.js'
import type {AsrBackend, Hypothesis, TimedWord} from './asr-backend.js'

export interface WhisperBackendOptions {
  /** Token budget of one step: base + perSecond × seconds of audio in the window. */
  tokensBase: number
  tokensPerSecond: number
  /** When a window only grew, check the previous step's tokens as a draft in the first decoder call. */
  draft: boolean
}

export const defaultWhisperBackendOptions: WhisperBackendOptions = {tokensBase: 8, tokensPerSecond: 7, draft: true}

/**
 * The streaming engine's view of Whisper: one window in, words with sample times out.
 * Whisper times segments; words get times from cross-attention (DTW) when the model and options
 * allow, else a share of their segment by character count.
 */
export class WhisperBackend implements AsrBackend {
  readonly sampleRate: number
  readonly maxSamples: number
  readonly #transcriber: WindowTranscriber
  readonly #options: WhisperBackendOptions
  readonly #grouper: WordGrouper
  #previous: readonly number[] = []

  constructor(transcriber: WindowTranscriber, options: Partial<WhisperBackendOptions> = {}) {
    this.#transcriber = transcriber
    this.#options = {...defaultWhisperBackendOptions, ...options}
    this.#grouper = new WordGrouper(transcriber.model.tokenizer)
    this.sampleRate = transcriber.model.preprocessor.samplingRate
    this.maxSamples = transcriber.model.preprocessor.nSamples
  }

  get language(): string | undefined {
    return this.#transcriber.language
  }

  async transcribe(audio: Float32Array, prompt: readonly number[], signal?: AbortSignal, continues = false): Promise<Hypothesis> {
    const length = Math.min(audio.length, this.maxSamples)
    const {tokensBase, tokensPerSecond} = this.#options
    const maxNewTokens = Math.ceil(tokensBase + (tokensPerSecond * length) / this.sampleRate)
    const draft = this.#options.draft && continues ? this.#previous : undefined
    this.#previous = []
    const result = await this.#transcriber.transcribe(audio, length, prompt, {maxNewTokens, signal, draft})
    this.#previous = result.greedyDecoded
    const {model} = this.#transcriber
    const truncated = result.stop !== 'end-of-text'
    const precision = model.timePrecisionSamples
    const toSamples = (index: number): number => Math.min(Math.round(index * precision), length)
    const words: TimedWord[] = []
    const segmentEnds: number[] = []
    const segments = []
    if (this.#transcriber.options.timestamps) {
      const parsed = parseTimestamped(result.tokens, model.special.timestampBegin, truncated)
      segments.push(...parsed.segments)
      if (parsed.open) segments.push(parsed.open)
    } else if (result.tokens.length > 0) {
      segments.push({tokens: result.tokens, start: 0, end: undefined})
    }
    // Segments hold the text tokens in order: `first` walks their indices among all kept tokens.
    const textIndex = textTokenIndices(result.tokens, model.special.timestampBegin)
    let seen = 0
    for (const segment of segments) {
      const start = toSamples(segment.start)
      const end = segment.end === undefined ? length : Math.max(start, toSamples(segment.end))
      const times = result.tokenTimes && contiguous(textIndex, seen, segment.tokens.length) ? result.tokenTimes : undefined
      const first = textIndex[seen] ?? 0
      words.push(
        ...segmentWords(
          this.#grouper,
          {tokens: segment.tokens, first, start, end},
          this.#transcriber.language,
          times,
          this.sampleRate,
          result.tokenLogprobs,
        ),
      )
      seen += segment.tokens.length
      if (segment.end !== undefined) segmentEnds.push(end)
    }
    const decode = {temperature: result.temperature, attempts: result.attempts, noSpeech: result.noSpeech, resetPrompt: result.resetPrompt}
    return {words, segmentEnds, truncated, decode}
  }
}
