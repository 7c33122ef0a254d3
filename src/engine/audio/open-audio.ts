// Audio in: any file, stream, device or filter ffmpeg can read, out as 16 kHz mono float32 chunks.
import {spawn, type ChildProcess} from 'node:child_process'
import {stat} from 'node:fs/promises'
import {PassThrough} from 'node:stream'

import {WhisperStreamError} from '../errors.js'
import {classifyFfmpegFailure, spawnFailure, startFailure} from './ffmpeg-errors.js'
import {resolveFfmpeg} from './ffmpeg-path.js'
import {audioDefaults, type AudioEnd, type AudioEndReason, type AudioInputOptions, type AudioStream} from './audio-stream.js'
import {ChunkAssembler} from './pcm.js'

export {audioDefaults, type AudioEnd, type AudioEndReason, type AudioInputOptions, type AudioStream} from './audio-stream.js'

/**
 * Starts ffmpeg at once (resolving the binary and checking the file first) and streams its PCM.
 * Iterate the result to the end, or close() it (or abort the signal): an ffmpeg nobody reads from waits forever.
 */
export function openAudio(options: AudioInputOptions): AudioStream {
  return new FfmpegAudioStream(options)
}

const MAX_STDERR_LINES = 20

/** ffmpeg's arguments: quiet except for errors, the input as given, mono float32 PCM at `sampleRate` on stdout. */
function ffmpegArgs(options: AudioInputOptions, input: string | undefined, sampleRate: number): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    ...((options.realtime ?? audioDefaults.realtime) ? ['-re'] : []),
    ...(options.inputOptions ?? []),
    ...(options.inputFormat ? ['-f', options.inputFormat] : []),
    '-i',
    input ?? 'pipe:0',
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(sampleRate),
    '-f',
    'f32le',
    'pipe:1',
  ]
}

/**
 * One ffmpeg child process behind an AudioStream. Its life: starting (file check, binary lookup),
 * running (spawned, not yet reaped), then settled once: `succeed` (eof, closed, aborted) or `fail`.
 */
class FfmpegAudioStream implements AudioStream {
  readonly sampleRate: number
  readonly chunkSamples: number
  readonly done: Promise<AudioEnd>
  samples = 0

  private readonly options: AudioInputOptions
  /** A path, device or filter; undefined when the input is a byte stream. */
  private readonly path: string | undefined
  private readonly stream: NodeJS.ReadableStream | undefined
  private readonly output = new PassThrough({highWaterMark: audioDefaults.highWaterMarkBytes})
  private child: ChildProcess | undefined
  private reaped = false
  private stopReason: 'closed' | 'aborted' | undefined
  private failure: WhisperStreamError | undefined
  private settled = false
  private iterated = false
  private inputBytes = 0
  private inputError: Error | undefined
  private readonly stderrLines: string[] = []
  private resolveDone!: (end: AudioEnd) => void
  private rejectDone!: (error: WhisperStreamError) => void
  /** ffmpeg's own outcome: resolves when it exited 0 (or the stream was stopped), rejects on failure. */
  private readonly exit: Promise<void>
  private resolveExit!: () => void
  private rejectExit!: (error: WhisperStreamError) => void
  private readonly onAbort = (): void => this.stop('aborted')
  private readonly countInput = (bytes: Uint8Array): void => {
    this.inputBytes += bytes.length
  }
  private readonly onInputError = (error: Error): void => {
    this.inputError ??= error
    if (this.child)
      this.kill() // its exit reports the input's error
    else this.fail(this.failureNow(null, null))
  }

  constructor(options: AudioInputOptions) {
    this.options = options
    const input = options.input === '-' ? process.stdin : options.input
    this.path = typeof input === 'string' ? input : undefined
    this.stream = typeof input === 'string' ? undefined : input
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
    // From the start and for good: a byte stream that fails before ffmpeg runs, or after we let go of
    // it, must not throw an unhandled 'error'.
    this.stream?.on('error', this.onInputError)
    this.start().catch((error: unknown) => this.fail(startFailure(error, this.label())))
  }

  get pid(): number | undefined {
    return this.child?.pid
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
            if (this.failure) break read // `exit` throws the failure below
          }
        }
      } catch {
        // The output was destroyed: by stop() (clean end) or by a failure, which `exit` reports below.
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
    if (this.path !== undefined && !this.options.inputFormat && !/^[a-z][a-z0-9+.-]+:/i.test(this.path)) await checkFile(this.path)
    const ffmpegPath = await resolveFfmpeg(this.options.ffmpegPath)
    if (this.settled) return // stopped (and settled) while we looked

    const child = spawn(ffmpegPath, ffmpegArgs(this.options, this.path, this.sampleRate), {
      stdio: [this.stream ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    })
    this.child = child
    child.once('error', (error) => {
      // A spawn that failed has no pid; errors of a running child (a failed kill) change nothing.
      if (child.pid === undefined) this.fail(spawnFailure(ffmpegPath, error))
    })
    child.once('close', (code, signal) => this.exited(code, signal))
    child.stdout!.on('error', () => {})
    child.stdout!.pipe(this.output)
    this.collectStderr(child.stderr!)
    if (this.stream) {
      child.stdin!.on('error', () => {}) // EPIPE when ffmpeg dies while stdin is still being fed
      this.stream.on('data', this.countInput)
      this.stream.pipe(child.stdin!)
    }
  }

  /** Keeps ffmpeg's last few non-empty stderr lines: its error messages. */
  private collectStderr(stderr: NodeJS.ReadableStream): void {
    let partial = ''
    stderr.setEncoding('utf8')
    stderr.on('data', (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/)
      partial = lines.pop() ?? ''
      for (const line of lines) this.keepStderrLine(line)
    })
    stderr.on('end', () => this.keepStderrLine(partial))
  }

  private keepStderrLine(line: string): void {
    if (!line.trim()) return
    this.stderrLines.push(line.trim())
    if (this.stderrLines.length > MAX_STDERR_LINES) this.stderrLines.shift()
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.reaped = true
    if (this.stopReason) return this.succeed(this.stopReason)
    if (code === 0 && !this.inputError) return this.resolveExit() // the iteration settles `done` after the last chunk
    this.fail(this.failureNow(code, signal))
  }

  private failureNow(code: number | null, signal: NodeJS.Signals | null): WhisperStreamError {
    return classifyFfmpegFailure({
      label: this.label(),
      input: this.path,
      inputFormat: this.options.inputFormat,
      code,
      signal,
      stderr: this.stderrLines,
      inputError: this.inputError,
      inputBytes: this.inputBytes,
    })
  }

  private label(): string {
    if (this.path === undefined) return 'stdin'
    if (this.options.inputFormat) return `${this.options.inputFormat} input '${this.path}'`
    return this.path
  }

  private stop(reason: 'closed' | 'aborted'): void {
    if (this.stopReason || this.settled) return
    this.stopReason = reason
    this.releaseInput()
    this.output.destroy(new Error('audio stream stopped'))
    // A running ffmpeg is killed and its exit settles `done`; otherwise there is nothing to reap.
    if (this.child && !this.reaped && this.child.pid !== undefined) this.kill()
    else this.succeed(reason)
  }

  /** Detaches a byte-stream input (e.g. process.stdin) so it no longer feeds ffmpeg or keeps flowing. */
  private releaseInput(): void {
    if (!this.stream) return
    this.stream.removeListener('data', this.countInput)
    if (this.child?.stdin) this.stream.unpipe(this.child.stdin)
    if (this.stopReason) this.stream.pause()
  }

  private kill(): void {
    const child = this.child
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
    this.failure = error
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
