import {parseTimestamped} from '../decode/segments.js'
import type {WindowTranscriber} from '../decode/window-transcriber.js'
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
 * Whisper only times segments, so each word gets a share of its segment by character count.
 */
export class WhisperBackend implements AsrBackend {
  readonly sampleRate: number
  readonly maxSamples: number
  readonly #transcriber: WindowTranscriber
  readonly #options: WhisperBackendOptions
  /** Word-start flag per token id, computed on first sight: BPE marks a leading space with Ġ. */
  readonly #startsWord = new Map<number, boolean>()
  #previous: readonly number[] = []

  constructor(transcriber: WindowTranscriber, options: Partial<WhisperBackendOptions> = {}) {
    this.#transcriber = transcriber
    this.#options = {...defaultWhisperBackendOptions, ...options}
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
    for (const segment of segments) {
      const start = toSamples(segment.start)
      const end = segment.end === undefined ? length : Math.max(start, toSamples(segment.end))
      this.#splitWords(segment.tokens, start, end, words)
      if (segment.end !== undefined) segmentEnds.push(end)
    }
    const decode = {temperature: result.temperature, attempts: result.attempts, noSpeech: result.noSpeech, resetPrompt: result.resetPrompt}
    return {words, segmentEnds, truncated, decode}
  }

  #isWordStart(token: number): boolean {
    let starts = this.#startsWord.get(token)
    if (starts === undefined) {
      const piece = this.#transcriber.model.tokenizer.idToToken(token) ?? ''
      starts = piece.startsWith('Ġ') || piece.startsWith(' ')
      this.#startsWord.set(token, starts)
    }
    return starts
  }

  #splitWords(tokens: readonly number[], start: number, end: number, out: TimedWord[]): void {
    const {tokenizer} = this.#transcriber.model
    const groups: number[][] = []
    for (const token of tokens) {
      if (groups.length === 0 || this.#isWordStart(token)) groups.push([token])
      else groups.at(-1)!.push(token)
    }
    const texts = groups.map((group) => tokenizer.decode(group))
    const chars = texts.reduce((sum, text) => sum + Math.max(1, text.trim().length), 0)
    let cursor = start
    let used = 0
    groups.forEach((group, i) => {
      const text = texts[i]!
      if (text.trim() === '') return
      used += Math.max(1, text.trim().length)
      const wordEnd = i === groups.length - 1 ? end : start + Math.round(((end - start) * used) / chars)
      out.push({text: text.startsWith(' ') ? text : ` ${text}`, start: cursor, end: Math.max(cursor, wordEnd), tokens: group})
      cursor = Math.max(cursor, wordEnd)
    })
  }
}
