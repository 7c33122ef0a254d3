// The contract of audio input: decoded PCM pulled chunk by chunk, and how it ends.

/** Defaults of every tunable of the audio input. */
export const audioDefaults = {
  /** Whisper's rate. */
  sampleRate: 16_000,
  /** 200 ms at 16 kHz. */
  chunkSamples: 3_200,
  realtime: false,
  /** Bytes the decoded-PCM pipe holds before ffmpeg is paused (beyond the OS pipe buffer). */
  highWaterMarkBytes: 64 * 1024,
} as const

export interface AudioInputOptions {
  /** A file path (or '-' for process.stdin), a device/filter name when `inputFormat` is set, or a byte stream (stdin). */
  input: string | NodeJS.ReadableStream
  /** ffmpeg `-f` for the input, e.g. 'lavfi', 'pulse', 'alsa', 'avfoundation', 'dshow'. */
  inputFormat?: string
  /** Extra ffmpeg options placed before `-i`. */
  inputOptions?: string[]
  /** The ffmpeg binary; otherwise resolved by resolveFfmpeg(). */
  ffmpegPath?: string
  sampleRate?: number
  /** Samples per chunk; every chunk has exactly this many except the last. */
  chunkSamples?: number
  /** Pace reading to the wall clock (ffmpeg -re), to simulate live input from a file. */
  realtime?: boolean
  signal?: AbortSignal
}

/** Why the stream ended without error: end of input, close(), or the AbortSignal. */
export type AudioEndReason = 'eof' | 'closed' | 'aborted'

export interface AudioEnd {
  reason: AudioEndReason
  /** Samples delivered to the consumer. */
  samples: number
}

/**
 * Decoded mono float32 PCM, pulled chunk by chunk. Iterate it once.
 *
 * Chunks are ONE reused Float32Array (the last chunk is a shorter view of it): a chunk is valid until the
 * consumer asks for the next one, so copy it (e.g. into a ring buffer) before continuing.
 * The producer is paused while the consumer is busy, so memory stays constant for inputs of any length.
 *
 * Failures throw a WhisperStreamError from the iteration and reject `done`. close() and the AbortSignal
 * kill ffmpeg and end the iteration without error.
 */
export interface AudioStream extends AsyncIterable<Float32Array> {
  readonly sampleRate: number
  readonly chunkSamples: number
  /** Samples delivered so far. */
  readonly samples: number
  /** ffmpeg's process id once spawned. */
  readonly pid: number | undefined
  /**
   * Settles once ffmpeg has exited and been reaped (or was never started): resolves with why the stream
   * ended ('eof' only after the iteration has delivered the last chunk, so `samples` is the total), rejects
   * with the WhisperStreamError the iteration throws. Never an unhandled rejection.
   */
  readonly done: Promise<AudioEnd>
  /** Stops decoding: kills ffmpeg, ends the iteration cleanly. Idempotent. */
  close(): void
}
