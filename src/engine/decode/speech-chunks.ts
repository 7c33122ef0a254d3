import {WhisperStreamError} from '../errors.js'
import {RingBuffer} from '../stream/ring-buffer.js'
import {defaultStreamerOptions} from '../stream/streamer-options.js'
import type {VoiceActivity} from '../stream/vad.js'

/** How a file is cut into stretches of speech before Whisper sees it. Durations in milliseconds. */
export interface SpeechChunkOptions {
  /** Speech probability at or above which a frame is speech. */
  threshold: number
  /** Hysteresis: once speaking, a frame is silence only below this probability. */
  negThreshold: number
  /** Silence that closes a stretch of speech. */
  minSilenceMs: number
  /** Audio kept before each stretch's first speech frame and after its last. */
  padMs: number
  /** Stretches are merged into chunks up to this long: one Whisper window. */
  maxChunkSeconds: number
}

/** The live stream's VAD settings, so a file and a stream of it are cut at the same pauses. */
export const defaultSpeechChunkOptions: Readonly<SpeechChunkOptions> = Object.freeze({
  threshold: defaultStreamerOptions.vadThreshold,
  negThreshold: defaultStreamerOptions.vadNegThreshold,
  minSilenceMs: defaultStreamerOptions.vadSilenceMs,
  padMs: defaultStreamerOptions.vadPadMs,
  maxChunkSeconds: 30,
})

/** A piece of the source that holds speech; `start` is its first sample's offset in the source. */
export interface SpeechChunk {
  start: number
  audio: Float32Array
}

export function resolveSpeechChunkOptions(input: Partial<SpeechChunkOptions> = {}): SpeechChunkOptions {
  const options: SpeechChunkOptions = {...defaultSpeechChunkOptions}
  for (const [key, value] of Object.entries(input))
    if (value !== undefined) (options as unknown as Record<string, number>)[key] = value as number
  const bad = (what: string): never => {
    throw new WhisperStreamError('usage', `speech chunking: ${what}`)
  }
  if (!(options.threshold > 0 && options.threshold < 1)) bad(`threshold ${options.threshold} is not between 0 and 1`)
  if (!(options.negThreshold > 0 && options.negThreshold <= options.threshold))
    bad(`negThreshold ${options.negThreshold} is not in (0, threshold]`)
  if (!(options.minSilenceMs >= 0 && options.padMs >= 0)) bad('durations must not be negative')
  if (!(options.maxChunkSeconds >= 1)) bad(`maxChunkSeconds ${options.maxChunkSeconds} is under 1 s`)
  return options
}

/**
 * Cuts a source into chunks of speech, as faster-whisper's `vad_filter` and WhisperX do: silence
 * outside them is never transcribed (no encoder pass, no words hallucinated into it). Stretches of
 * speech are merged while the chunk stays within `maxChunkSeconds`, so a chunk is at most one window
 * and short pauses cost no extra passes. A stretch longer than a chunk is cut at its quietest frame in
 * the chunk's second half (the latest of equals). Memory stays bounded by one chunk, however long the source.
 */
export async function* speechChunks(
  source: AsyncIterable<Float32Array>,
  vad: VoiceActivity,
  sampleRate: number,
  input: Partial<SpeechChunkOptions> = {},
  /** Checked every frame: a long silence is read without any decoding that would notice a cancel. */
  signal?: AbortSignal,
): AsyncGenerator<SpeechChunk> {
  const options = resolveSpeechChunkOptions(input)
  const frame = vad.frameSamples
  const samples = (ms: number): number => Math.round((ms * sampleRate) / 1000)
  const max = Math.round(options.maxChunkSeconds * sampleRate)
  const pad = samples(options.padMs)
  const silence = samples(options.minSilenceMs)
  // The open chunk is cut once it reaches `max`, and less than a frame waits unjudged after each append:
  // two frames of slack would do, four leave room to append whenever a chunk is open.
  const ring = new RingBuffer(max + 4 * frame)
  let cursor = 0
  let speaking = false
  /** First sample of the open chunk; undefined between chunks. */
  let chunkStart: number | undefined
  let regionOpen = false
  let regionStart = 0
  let lastSpeechEnd = 0
  /** End of the last stretch of speech the open chunk has closed. */
  let closedEnd: number | undefined
  let quietest: {at: number; probability: number} | undefined

  const take = (start: number, end: number): SpeechChunk => ({start, audio: ring.view(start, end).slice()})
  const startChunk = (at: number): void => {
    chunkStart = at
    closedEnd = undefined
    quietest = undefined
    ring.trimTo(at)
  }

  /** The chunk is full: the part to hand on now, and where the next chunk starts (if speech goes on). */
  const cut = (start: number, frameEnd: number): {chunk: SpeechChunk; next?: number} => {
    if (!regionOpen) return {chunk: take(start, Math.min((closedEnd ?? frameEnd) + pad, frameEnd))}
    if (closedEnd !== undefined) {
      const end = Math.min(closedEnd + pad, regionStart)
      return {chunk: take(start, end), next: Math.max(regionStart - pad, end)}
    }
    const at = quietest && quietest.at > start ? quietest.at : frameEnd
    return {chunk: take(start, at), next: at}
  }

  const processFrames = async function* (): AsyncGenerator<SpeechChunk> {
    while (cursor + frame <= ring.endSample) {
      if (signal?.aborted) throw new WhisperStreamError('aborted', 'transcription was cancelled', {cause: signal.reason})
      const frameStart = cursor
      const probability = await vad.process(ring.view(frameStart, frameStart + frame))
      cursor += frame
      speaking = probability >= (speaking ? options.negThreshold : options.threshold)
      if (speaking) {
        if (chunkStart === undefined) startChunk(Math.max(ring.startSample, frameStart - pad))
        if (!regionOpen) regionStart = frameStart
        regionOpen = true
        lastSpeechEnd = cursor
      } else if (regionOpen && cursor - lastSpeechEnd >= silence) {
        regionOpen = false
        closedEnd = lastSpeechEnd
      }
      if (chunkStart !== undefined && regionOpen && frameStart >= chunkStart + max / 2) {
        if (quietest === undefined || probability <= quietest.probability) quietest = {at: frameStart, probability}
      }
      if (chunkStart !== undefined && cursor - chunkStart >= max) {
        const {chunk, next} = cut(chunkStart, cursor)
        yield chunk
        if (next === undefined) chunkStart = undefined
        else startChunk(next)
      }
    }
  }

  for await (let pending of source) {
    while (pending.length > 0) {
      // Between chunks only the pad before the next speech is kept; trimmed here, not per frame (a memmove each).
      if (chunkStart === undefined) ring.trimTo(cursor - pad)
      const n = Math.min(pending.length, ring.free)
      ring.append(pending.subarray(0, n))
      pending = pending.subarray(n)
      yield* processFrames()
    }
  }
  // The source's last, partial frame is not judged: it belongs to whatever was going on.
  if (chunkStart !== undefined) {
    const end = regionOpen ? ring.endSample : Math.min((closedEnd ?? lastSpeechEnd) + pad, ring.endSample)
    if (end > chunkStart) yield take(chunkStart, end)
  }
}
