import {samplesToSeconds, type FinalEvent} from '../events.js'
import {RingBuffer} from '../stream/ring-buffer.js'
import {parseTimestamped} from './segments.js'
import {contiguous, segmentWords, textTokenIndices, WordGrouper} from './word-grouping.js'
import type {WindowTranscriber} from './window-transcriber.js'

export interface LongFormOptions {
  /** Feed the previous window's text as prompt (Whisper's condition_on_previous_text). */
  condition: boolean
  /** Token ids of an initial prompt. */
  initialPrompt: readonly number[]
  /** Attach each segment's token ids to its event. */
  withTokens: boolean
  /** Attach each segment's words with times (DTW when the transcriber times tokens, else proportional). */
  withWords?: boolean | undefined
  signal?: AbortSignal | undefined
  /** Where the audio starts in its source, in samples: event times count from the source's start. */
  startSample?: number | undefined
  /** The first event's id (ids go on counting across pieces of one source). */
  firstId?: number | undefined
  /** Called after each window with the seconds of audio consumed so far. */
  onProgress?: ((seconds: number) => void) | undefined
}

/**
 * Whisper's own long-form algorithm over a stream of audio chunks: sequential 30 s windows,
 * each seeking to the last complete timestamp. The window is a fixed ring buffer, so memory
 * stays flat however long the file.
 */
export async function* transcribeLongForm(
  transcriber: WindowTranscriber,
  audio: AsyncIterable<Float32Array>,
  options: LongFormOptions,
): AsyncGenerator<FinalEvent> {
  const {model} = transcriber
  const sampleRate = model.preprocessor.samplingRate
  const precision = model.timePrecisionSamples
  const window = new RingBuffer(model.preprocessor.nSamples, options.startSample ?? 0)
  const {timestampBegin} = model.special
  let prompt: number[] = [...options.initialPrompt]
  const grouper = new WordGrouper(model.tokenizer)
  let id = options.firstId ?? 0
  const chunks = audio[Symbol.asyncIterator]()
  let pending: Float32Array | undefined
  let ended = false

  const fill = async (): Promise<void> => {
    while (window.free > 0 && !ended) {
      if (pending === undefined || pending.length === 0) {
        const next = await chunks.next()
        if (next.done) {
          ended = true
          break
        }
        pending = next.value
      }
      const take = Math.min(pending.length, window.free)
      window.append(pending.subarray(0, take))
      pending = pending.subarray(take)
    }
  }

  try {
    for (;;) {
      await fill()
      const length = window.length
      if (length === 0) break
      const result = await transcriber.transcribe(window.view(), length, options.condition ? prompt : options.initialPrompt, {
        signal: options.signal,
      })
      const parsed = parseTimestamped(result.tokens, timestampBegin, result.stop !== 'end-of-text')
      // A window the no-speech gate dropped is skipped whole, as Whisper's long-form loop does.
      let consumed = parsed.seekIndex === undefined || result.noSpeech ? length : Math.round(parsed.seekIndex * precision)
      if (consumed <= 0 || consumed > length) consumed = length
      const offset = window.startSample
      const segments = parsed.seekIndex === undefined && parsed.open ? [...parsed.segments, parsed.open] : parsed.segments
      // Segments hold the kept text tokens in order: `seen` walks their indices for the token times.
      const textIndex = textTokenIndices(result.tokens, timestampBegin)
      let seen = 0
      for (const segment of segments) {
        const first = textIndex[seen] ?? 0
        const timed = result.tokenTimes && contiguous(textIndex, seen, segment.tokens.length) ? result.tokenTimes : undefined
        seen += segment.tokens.length
        const text = model.tokenizer.decode(segment.tokens)
        if (text.trim() === '') continue
        const start = Math.min(Math.round(segment.start * precision), length)
        const end = segment.end === undefined ? consumed : Math.min(Math.round(segment.end * precision), length)
        const event: FinalEvent = {
          type: 'final',
          id: id++,
          text: text.trim(),
          start: samplesToSeconds(offset + start, sampleRate),
          end: samplesToSeconds(offset + Math.max(start, end), sampleRate),
        }
        if (options.withTokens) event.tokens = segment.tokens
        if (options.withWords) {
          const bounds = {tokens: segment.tokens, first, start, end: Math.max(start, end)}
          event.words = segmentWords(grouper, bounds, transcriber.language, timed, sampleRate, result.tokenLogprobs).map((word) => ({
            text: word.text,
            start: samplesToSeconds(offset + word.start, sampleRate),
            end: samplesToSeconds(offset + word.end, sampleRate),
            probability: word.probability,
          }))
          event.alignment = timed ? 'dtw' : 'proportional'
        }
        yield event
        if (options.condition) prompt = tail(prompt, segment.tokens, transcriber.options.maxPromptTokens)
      }
      // A hot fallback or a cut loop says the prompt led decoding astray: the next window starts afresh.
      if (result.resetPrompt && options.condition) prompt = [...options.initialPrompt]
      window.trimTo(offset + consumed)
      options.onProgress?.(samplesToSeconds(window.startSample, sampleRate))
    }
  } finally {
    await chunks.return?.()
  }
}

const tail = (prompt: number[], add: readonly number[], max: number): number[] => {
  const merged = prompt.concat(add)
  return merged.length > max ? merged.slice(merged.length - max) : merged
}
