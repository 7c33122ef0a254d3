import type {ChildProcess} from 'node:child_process'
import {stat} from 'node:fs/promises'
import {PassThrough, type Readable} from 'node:stream'

import ffmpeg from 'fluent-ffmpeg'

import {WhisperStreamError} from '../errors.js'
import {resolveFfmpeg} from './ffmpeg-path.js'
import {ChunkAssembler} from './pcm.js'

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

/**
 * Starts ffmpeg at once (resolving the binary and checking the file first) and streams its PCM.
 * Iterate the result to the end, or close() it (or abort the signal): an ffmpeg nobody reads from waits forever.
 */
export function openAudio(options: AudioInputOptions): AudioStream {
  return new FfmpegAudioStream(options)
}

const MAX_STDERR_LINES = 20

class FfmpegAudioStream implements AudioStream {
  readonly sampleRate: number
  readonly chunkSamples: number
  readonly done: Promise<AudioEnd>
  samples = 0

  private readonly options: AudioInputOptions
  private readonly input: string | NodeJS.ReadableStream
  private readonly output = new PassThrough({highWaterMark: audioDefaults.highWaterMarkBytes})
  private process: ChildProcess | undefined
  private stopReason: 'closed' | 'aborted' | undefined
  private settled = false
  private failed = false
  private iterated = false
  private spawning = false
  private inputBytes = 0
  private readonly countInput = (bytes: Uint8Array): void => {
    this.inputBytes += bytes.length
  }
  private inputError: Error | undefined
  private readonly stderrLines: string[] = []
  private resolveDone!: (end: AudioEnd) => void
  private rejectDone!: (error: WhisperStreamError) => void
  /** ffmpeg's own outcome: resolves when it exited 0 (or the stream was stopped), rejects on failure. */
  private readonly exit: Promise<void>
  private resolveExit!: () => void
  private rejectExit!: (error: WhisperStreamError) => void
  private processExited = false
  private readonly onAbort = (): void => this.stop('aborted')

  constructor(options: AudioInputOptions) {
    this.options = options
    this.input = options.input === '-' ? process.stdin : options.input
    this.sampleRate = options.sampleRate ?? audioDefaults.sampleRate
    this.chunkSamples = options.chunkSamples ?? audioDefaults.chunkSamples
    if (!Number.isInteger(this.chunkSamples) || this.chunkSamples <= 0) {
      throw new WhisperStreamError('usage', `chunk size must be a positive whole number of samples, got ${this.chunkSamples}`)
    }
    if (!Number.isInteger(this.sampleRate) || this.sampleRate <= 0) {
      throw new WhisperStreamError('usage', `sample rate must be a positive whole number, got ${this.sampleRate}`)
    }
    this.done = new Promise<AudioEnd>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => {}) // the iteration reports the same error; awaiting `done` is optional
    this.exit = new Promise<void>((resolve, reject) => {
      this.resolveExit = resolve
      this.rejectExit = reject
    })
    this.exit.catch(() => {})
    this.output.on('error', () => {}) // destroyed on stop(); the iteration handles it

    if (options.signal?.aborted) {
      this.stop('aborted')
      return
    }
    options.signal?.addEventListener('abort', this.onAbort, {once: true})
    this.start().catch((error: unknown) => this.fail(toError(error, this.label())))
  }

  get pid(): number | undefined {
    return this.process?.pid
  }

  close(): void {
    this.stop('closed')
  }

  [Symbol.asyncIterator](): AsyncIterator<Float32Array> {
    if (this.iterated) throw new Error('an AudioStream can be iterated only once')
    this.iterated = true
    return this.iterate()
  }

  private async *iterate(): AsyncGenerator<Float32Array> {
    const assembler = new ChunkAssembler(this.chunkSamples, 'f32le')
    try {
      try {
        read: for await (const bytes of this.output) {
          assembler.push(bytes as Buffer)
          for (let chunk = assembler.next(); chunk; chunk = assembler.next()) {
            this.samples += chunk.length
            yield chunk
            if (this.stopReason) return
            if (this.failed) break read // `done` throws the failure below
          }
        }
      } catch {
        // The output was destroyed: by stop() (clean end) or by a failure, which `done` reports below.
      }
      if (this.stopReason) return
      await this.exit // throws the WhisperStreamError of a failed decode
      if (this.stopReason) return
      const tail = assembler.flush()
      if (tail) {
        this.samples += tail.length
        yield tail
      }
      // `done` resolves only once everything decoded has been delivered.
      this.succeed('eof')
    } finally {
      // The consumer broke out early, or the input ended: make sure ffmpeg is gone.
      if (!this.settled) this.stop('closed')
    }
  }

  private async start(): Promise<void> {
    const {inputFormat} = this.options
    if (typeof this.input === 'string' && !inputFormat && !/^[a-z][a-z0-9+.-]+:/i.test(this.input)) {
      await checkFile(this.input)
    }
    const ffmpegPath = await resolveFfmpeg(this.options.ffmpegPath)
    if (this.stopReason) return

    const command = ffmpeg(this.input as string | Readable)
      .setFfmpegPath(ffmpegPath)
      .inputOptions([
        '-nostdin',
        '-hide_banner',
        '-loglevel',
        'error',
        ...((this.options.realtime ?? audioDefaults.realtime) ? ['-re'] : []),
        ...(this.options.inputOptions ?? []),
      ])
      .outputOptions(['-vn', '-ac', '1', '-ar', String(this.sampleRate)])
      .format('f32le')
    if (inputFormat) command.inputFormat(inputFormat)

    command.on('stderr', (line: string) => {
      if (!line.trim()) return
      this.stderrLines.push(line.trim())
      if (this.stderrLines.length > MAX_STDERR_LINES) this.stderrLines.shift()
    })
    command.on('start', () => {
      const child = (command as unknown as {ffmpegProc?: ChildProcess}).ffmpegProc
      if (!child) return
      this.process = child
      child.stdout?.on('error', () => {})
      child.stdin?.on('error', () => {}) // EPIPE when ffmpeg dies while stdin is still being fed
      child.once('close', (code, signal) => this.exited(code, signal))
      if (typeof this.input !== 'string') this.input.on('data', this.countInput)
      if (this.stopReason) this.kill()
    })
    command.on('error', (error: Error & {inputStreamError?: Error}) => {
      if (error.inputStreamError) this.inputError = error.inputStreamError
      // After a spawn, the process's own exit decides the outcome (fluent also reports our own kills here).
      if (!this.process) {
        if (this.stopReason) this.succeed(this.stopReason)
        else this.fail(toError(error, this.label()))
      } else if (this.process.pid === undefined) {
        this.fail(new WhisperStreamError('ffmpeg-failed', `ffmpeg (${ffmpegPath}) could not be started: ${error.message}`, {cause: error}))
      }
    })
    this.spawning = true
    command.pipe(this.output, {end: true})
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.processExited = true
    if (this.stopReason) return this.succeed(this.stopReason)
    if (code === 0) return this.resolveExit() // the iteration settles `done` after the last chunk
    if (signal) {
      return this.fail(
        new WhisperStreamError('ffmpeg-failed', `ffmpeg was killed (${signal}) while decoding ${this.label()}`, {
          hint: 'check memory limits and that nothing else stops ffmpeg',
        }),
      )
    }
    this.fail(this.decodeError(code))
  }

  private decodeError(code: number | null): WhisperStreamError {
    const label = this.label()
    const last = this.stderrLines.at(-1) ?? `ffmpeg exited with code ${code}`
    if (this.inputError) {
      return new WhisperStreamError('input-missing', `cannot read ${label}: ${this.inputError.message}`, {cause: this.inputError})
    }
    if (typeof this.input !== 'string' && this.inputBytes === 0) {
      return new WhisperStreamError('input-undecodable', 'stdin is empty: no audio data was received', {
        hint: 'pipe an audio or video file in',
        details: {reason: 'stdin-empty'},
      })
    }
    if (/does not contain any stream|matches no streams/i.test(last)) {
      return new WhisperStreamError('input-undecodable', `${label} has no audio stream`, {hint: 'give a file with an audio track'})
    }
    // ffmpeg prefixes most messages with the input name; say it once.
    const detail = typeof this.input === 'string' && last.startsWith(`${this.input}: `) ? last.slice(this.input.length + 2) : last
    const device = this.options.inputFormat
    return new WhisperStreamError('input-undecodable', `${device ? 'cannot open' : 'cannot decode'} ${label}: ${oneLine(detail)}`, {
      hint: device ? `check the device name; ffmpeg -sources ${device} lists them` : 'is it an audio or video file?',
    })
  }

  private label(): string {
    if (typeof this.input !== 'string') return 'stdin'
    if (this.options.inputFormat) return `${this.options.inputFormat} input '${this.input}'`
    return this.input
  }

  private stop(reason: 'closed' | 'aborted'): void {
    if (this.stopReason || this.settled) return
    this.stopReason = reason
    this.releaseInput()
    this.output.destroy(new Error('audio stream stopped'))
    if (this.process && !this.processExited)
      this.kill() // its exit settles `done`
    else if (this.process) this.succeed(reason)
    // Not spawned and not about to be: nothing to reap. (If fluent is preparing the spawn, the 'start'
    // handler kills the child and its exit settles `done`; start() itself checks stopReason.)
    else if (!this.spawning) this.succeed(reason)
  }

  /** Detaches a byte-stream input (e.g. process.stdin) so it no longer feeds ffmpeg or keeps flowing. */
  private releaseInput(): void {
    if (typeof this.input === 'string') return
    this.input.removeListener('data', this.countInput)
    if (this.process?.stdin) this.input.unpipe(this.process.stdin as NodeJS.WritableStream)
    if (this.stopReason) this.input.pause()
  }

  private kill(): void {
    const child = this.process
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }

  private succeed(reason: AudioEndReason): void {
    if (this.settled) return
    this.settled = true
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.releaseInput()
    this.resolveExit()
    this.resolveDone({reason, samples: this.samples})
  }

  private fail(error: WhisperStreamError): void {
    if (this.settled) return
    this.settled = true
    this.failed = true
    this.options.signal?.removeEventListener('abort', this.onAbort)
    this.releaseInput()
    this.kill()
    this.output.destroy(error)
    this.rejectExit(error)
    this.rejectDone(error)
  }
}

/** Fails fast on a path that cannot be audio, before anything costly (a model download) starts. */
export async function checkFile(path: string): Promise<void> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EACCES') {
      throw new WhisperStreamError('input-missing', `cannot read ${path}: permission denied`, {
        hint: 'check the file permissions',
        cause: error,
      })
    }
    throw new WhisperStreamError('input-missing', `no such file: ${path}`, {hint: 'check the path', cause: error})
  }
  if (info.isDirectory()) {
    throw new WhisperStreamError('input-missing', `${path} is a directory, not an audio file`, {hint: 'give a file path'})
  }
  if (info.isFile() && info.size === 0) {
    throw new WhisperStreamError('input-undecodable', `${path} is empty (0 bytes)`, {hint: 'give an audio or video file'})
  }
}

function toError(error: unknown, label: string): WhisperStreamError {
  if (error instanceof WhisperStreamError) return error
  const message = error instanceof Error ? error.message : String(error)
  if (/Input format .* not available/i.test(message)) {
    return new WhisperStreamError('input-undecodable', `cannot open ${label}: ${oneLine(message)}`, {
      hint: 'this ffmpeg build lacks that input format; install one that has it',
      details: {reason: 'ffmpeg-lacks-format'},
      cause: error,
    })
  }
  return new WhisperStreamError('ffmpeg-failed', `ffmpeg failed on ${label}: ${oneLine(message)}`, {cause: error})
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()
