/* eslint-disable @typescript-eslint/no-floating-promises -- TODO(issue 12 item 3): enqueue() calls are fired and forgotten; the one-Streamer rewrite makes that explicit. */
import {PassThrough} from 'node:stream'
import type {WebSocket, RawData} from 'ws'
import {openAudio, type AudioStream} from '../engine/audio/decode.js'
import {ChunkAssembler} from '../engine/audio/pcm.js'
import {isWhisperStreamError} from '../engine/errors.js'
import {clientMessage} from './error-wording.js'
import type {FinalEvent, PartialEvent} from '../engine/events.js'
import type {Engine} from '../engine/engine.js'
import type {Streamer} from '../engine/stream/streamer.js'
import {
  defaultStreamOptions,
  errorCodes,
  parseControl,
  ProtocolError,
  type ErrorCodeName,
  type ServerMessage,
  type StreamOptions,
} from './protocol.js'
import type {ServerMetrics} from './metrics.js'
import type {FairScheduler, Lane} from './scheduler.js'

export interface SessionLimits {
  /** Close a session that sends nothing for this long. */
  idleTimeoutMs: number
  /** Cut off a client that does not read: its unsent bytes over this. */
  maxBufferedBytes: number
  /** Audio waiting beyond the 30 s window (the client outruns inference) over this closes the session ('overloaded'). */
  maxBacklogSeconds: number
}

export const defaultSessionLimits: SessionLimits = {idleTimeoutMs: 30_000, maxBufferedBytes: 1 << 20, maxBacklogSeconds: 10}

export interface SessionContext {
  id: number
  remote: string
  engine: Engine
  scheduler: FairScheduler
  limits: SessionLimits
  ffmpegPath?: string | undefined
  log: (line: string) => void
  metrics: ServerMetrics
  onClosed: (session: StreamSession) => void
}

const RATE = 16_000
const CHUNK = 1600
/**
 * What one queued task costs besides its audio (closure and promise), counted against the backlog cap so that
 * a flood of `flush`es behind a slow step is bounded too. Audio frames share one task (AudioBatch).
 */
const QUEUED_TASK_BYTES = 256
/** Block that tiny frames waiting in one AudioBatch are copied into. */
const BATCH_BLOCK_BYTES = 64 * 1024

type State = 'waiting' | 'starting' | 'running' | 'ending' | 'closed'

/**
 * One WebSocket client on /v1/stream: options, then audio in, partial/final events out, then `done`.
 * Messages are handled strictly in order through one promise chain; audio is pushed to the Streamer,
 * which never blocks (steps coalesce under load). Memory per session: the Streamer's fixed 30 s
 * ring, its backlog (capped), and the frames queued behind a start or flush (capped the same way).
 */
export class StreamSession {
  state: State = 'waiting'
  options: StreamOptions = {...defaultStreamOptions}
  private readonly ws: WebSocket
  private readonly ctx: SessionContext
  private readonly query: Partial<StreamOptions>
  private readonly abort = new AbortController()
  private readonly lane: Lane
  private chain: Promise<void> = Promise.resolve()
  private queuedBytes = 0
  /** Audio frames joining the task at the end of the queue, until that task starts (see AudioBatch). */
  private batch: AudioBatch | undefined
  private streamer: Streamer | undefined
  /** Stops the current Streamer's signal from following the session's (see openStreamer). */
  private detachSegment: (() => void) | undefined
  private assembler: ChunkAssembler | undefined
  private decoderInput: PassThrough | undefined
  private decoder: AudioStream | undefined
  private decoderPump: Promise<void> | undefined
  /** Samples handed to earlier streamers (a `flush` starts a new one): offsets times and ids. */
  private sampleBase = 0
  private samples = 0
  private idBase = 0
  private finals = 0
  private idleTimer: NodeJS.Timeout | undefined
  private closeInfo = ''
  /** `end` (or shutdown) was received: later frames are ignored. */
  private ended = false

  constructor(ws: WebSocket, ctx: SessionContext, query: Partial<StreamOptions>) {
    this.ws = ws
    this.ctx = ctx
    this.query = query
    this.lane = ctx.scheduler.lane(`session-${ctx.id}`)
    ws.on('message', (data, isBinary) => this.guard(() => this.receive(data, isBinary)))
    ws.on('close', (code, reason) => this.guard(() => this.closed(code, reason.toString())))
    ws.on('error', (error) => {
      // ws closes the socket itself (1009 for an oversized frame, 1002 for a protocol error).
      this.closeInfo ||= error.message
    })
    this.touch()
  }

  get id(): number {
    return this.ctx.id
  }

  /** Server shutdown: stop reading, commit and send what was heard, `done`, close 1001. */
  shutdown(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve()
    if (this.ended) return this.chain
    this.ended = true
    return this.enqueue(0, () => this.finish(1001, 'server shutting down'))
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.touch()
    if (this.ended || this.state === 'closed') return
    const bytes = toBuffer(data)
    if (isBinary) {
      this.queueAudio(bytes)
      return
    }
    let control
    try {
      control = parseControl(bytes.toString('utf8'))
    } catch (error) {
      this.enqueue(0, async () => this.fail(error))
      return
    }
    if (control.type === 'start') {
      const options = control.options
      this.enqueue(0, () => this.start(options))
    } else if (control.type === 'flush') {
      this.enqueue(0, async () => {
        await this.ensureStarted()
        await this.flushSegment()
      })
    } else {
      this.ended = true
      this.enqueue(0, async () => {
        await this.ensureStarted()
        await this.finish(1000, 'end of stream')
      })
    }
  }

  /** Audio joins the batch waiting at the end of the queue, or starts one. */
  private queueAudio(bytes: Buffer): void {
    let batch = this.batch
    if (!batch) {
      const created = new AudioBatch()
      this.enqueue(0, async () => {
        if (this.batch === created) this.batch = undefined
        this.queuedBytes -= created.bytes
        await this.ensureStarted()
        for (const part of created.take()) this.audio(part)
      })
      this.batch = batch = created
    }
    batch.add(bytes)
    this.queuedBytes += bytes.length
    this.checkBacklog()
  }

  /** Runs `task` after everything received before it; what waits here counts against the backlog cap. */
  private enqueue(payload: number, task: () => Promise<void>): Promise<void> {
    const bytes = payload + QUEUED_TASK_BYTES
    this.batch = undefined // later audio must come after this task
    this.queuedBytes += bytes
    this.checkBacklog()
    this.chain = this.chain.then(async () => {
      this.queuedBytes -= bytes
      if (this.state === 'closed') return
      try {
        await task()
      } catch (error) {
        this.guard(() => this.fail(error))
      }
    })
    return this.chain
  }

  private checkBacklog(): void {
    if (this.queuedBytes > this.backlogCapBytes() && this.state !== 'closed') {
      this.fail(new ProtocolError('overloaded', 'audio arrives faster than it can be handled'))
    }
  }

  private backlogCapBytes(): number {
    return Math.max(1 << 20, this.ctx.limits.maxBacklogSeconds * this.options.sample_rate * 4)
  }

  private async ensureStarted(): Promise<void> {
    if (this.state === 'waiting') await this.start({})
  }

  private async start(frame: Partial<StreamOptions>): Promise<void> {
    if (this.state !== 'waiting')
      throw new ProtocolError('unsupported-message', 'the session has already started; send start once, before any audio')
    this.state = 'starting'
    this.options = {...defaultStreamOptions, ...this.query, ...frame}
    const {encoding, sample_rate: rate} = this.options
    if (encoding === 'webm' || rate !== RATE) {
      // Compressed audio, or raw PCM at another rate: a per-session ffmpeg decodes/resamples to 16 kHz.
      this.decoderInput = new PassThrough({highWaterMark: 256 * 1024})
      const raw = encoding !== 'webm'
      this.decoder = openAudio({
        input: this.decoderInput,
        ffmpegPath: this.ctx.ffmpegPath,
        chunkSamples: CHUNK,
        ...(raw ? {inputFormat: encoding, inputOptions: ['-ar', String(rate), '-ac', '1']} : {}),
      })
      const decoder = this.decoder
      this.decoderPump = (async () => {
        for await (const chunk of decoder) this.pushPcm(chunk)
      })().catch((error: unknown) => {
        this.guard(() => this.fail(isWhisperStreamError(error) ? new ProtocolError('undecodable-audio', clientMessage(error)) : error))
      })
    } else {
      this.assembler = new ChunkAssembler(CHUNK, encoding)
    }
    this.streamer = await this.openStreamer()
    if (this.state === 'starting') this.state = 'running'
    this.send({type: 'ready', session: this.ctx.id, model: this.ctx.engine.model.name, options: this.options})
  }

  private async openStreamer(): Promise<Streamer> {
    // Each Streamer (a `flush` starts a new one) gets its own signal that follows the session's, and stops
    // following it when its segment is over: a listener left on the session's signal would keep every
    // finished Streamer (30 s ring, mel buffers) alive until the session ends.
    const segment = new AbortController()
    const session = this.abort.signal
    const onAbort = (): void => segment.abort(session.reason)
    if (session.aborted) onAbort()
    else session.addEventListener('abort', onAbort, {once: true})
    this.detachSegment = () => session.removeEventListener('abort', onAbort)
    let streamer: Streamer
    try {
      streamer = await this.ctx.engine.openStream({
        decoding: {language: this.options.language, task: this.options.task},
        gate: this.lane,
        stepMs: this.options.step_ms,
        vad: this.options.vad,
        noPartials: !this.options.partials,
        stats: false,
        signal: segment.signal,
      })
    } catch (error) {
      throw isWhisperStreamError(error) && error.code === 'usage' ? new ProtocolError('invalid-message', clientMessage(error)) : error
    }
    const seconds = (value: number): number => Math.round((value + this.sampleBase / RATE) * 1000) / 1000
    streamer.on('partial', (event: PartialEvent) =>
      this.guard(() => this.send({...event, start: seconds(event.start), end: seconds(event.end)})),
    )
    streamer.on('final', (event: FinalEvent) => {
      this.finals++
      this.ctx.metrics.finals.inc()
      this.guard(() => this.send({...event, id: event.id + this.idBase, start: seconds(event.start), end: seconds(event.end)}))
    })
    streamer.on('error', (error) => this.guard(() => this.fail(error)))
    return streamer
  }

  private audio(bytes: Buffer): void {
    if (this.state !== 'running') return
    if (this.decoderInput) {
      this.decoderInput.write(bytes)
      if (this.decoderInput.writableLength > this.backlogCapBytes())
        throw new ProtocolError('overloaded', 'the audio decoder cannot keep up')
      return
    }
    const assembler = this.assembler!
    assembler.push(bytes)
    for (let chunk = assembler.next(); chunk; chunk = assembler.next()) this.pushPcm(chunk)
  }

  private pushPcm(chunk: Float32Array): void {
    const streamer = this.streamer
    if (!streamer || this.state === 'closed') return
    streamer.push(chunk)
    this.samples += chunk.length
    this.ctx.metrics.audio('stream', chunk.length / RATE)
    if (streamer.backlogSamples > this.ctx.limits.maxBacklogSeconds * RATE) {
      throw new ProtocolError('overloaded', 'audio arrives faster than it can be transcribed')
    }
  }

  /** `flush`: commit everything heard so far now, then go on with a fresh window. */
  private async flushSegment(): Promise<void> {
    const tail = this.assembler?.flush()
    if (tail) this.pushPcm(tail)
    // Nothing heard since the last flush: nothing to commit, keep the Streamer.
    if (this.samples === this.sampleBase) return
    const old = this.streamer!
    const detach = this.detachSegment
    await old.flush()
    detach?.()
    this.idBase = this.finals
    this.sampleBase = this.samples
    this.streamer = await this.openStreamer()
  }

  private async finish(code: number, reason: string): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'ending'
    clearTimeout(this.idleTimer)
    if (this.decoderInput) {
      this.decoderInput.end()
      await this.decoderPump
    }
    const tail = this.assembler?.flush()
    if (tail) this.pushPcm(tail)
    if (this.streamer) await this.streamer.flush()
    if (this.isClosed()) return
    this.send({type: 'done', audio: Math.round((this.samples / RATE) * 1000) / 1000, finals: this.finals})
    this.close(code, reason)
  }

  private isClosed(): boolean {
    return this.state === 'closed'
  }

  private fail(error: unknown): void {
    if (this.state === 'closed') return
    const code: ErrorCodeName = error instanceof ProtocolError ? error.code : 'internal'
    const message = error instanceof ProtocolError ? error.message : isWhisperStreamError(error) ? clientMessage(error) : String(error)
    this.send({type: 'error', code, message})
    this.close(errorCodes[code], code)
  }

  private send(message: ServerMessage): void {
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return
    this.ws.send(JSON.stringify(message))
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) {
      // The client does not read: nothing more can reach it, so drop the connection.
      this.closeInfo = `client not reading (${this.ws.bufferedAmount} bytes unsent)`
      this.ws.terminate()
      this.closed(1006, 'slow client')
    }
  }

  private close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason.slice(0, 120))
    this.closed(code, reason)
  }

  private touch(): void {
    clearTimeout(this.idleTimer)
    if (this.ended || this.state === 'closed') return
    this.idleTimer = setTimeout(() => {
      this.guard(
        () =>
          void this.enqueue(0, async () =>
            this.fail(new ProtocolError('idle-timeout', `no frame for ${this.ctx.limits.idleTimeoutMs} ms`)),
          ),
      )
    }, this.ctx.limits.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /**
   * Runs an event handler of this session: an exception nobody planned for is logged and ends this session
   * (close 1011), never the process.
   */
  private guard(handler: () => void): void {
    try {
      handler()
    } catch (error) {
      this.ctx.log(`session ${this.ctx.id}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
      try {
        if (this.ws.readyState === this.ws.OPEN) this.ws.close(errorCodes.internal, 'internal')
        else this.ws.terminate()
        this.closed(errorCodes.internal, 'internal error')
      } catch {
        // Already torn down as far as it goes.
      }
    }
  }

  /** Idempotent teardown: stop inference and decoding, log one line. */
  private closed(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.idleTimer)
    this.abort.abort(new Error('session closed'))
    this.lane.close()
    this.decoder?.close()
    this.decoderInput?.destroy()
    const avgWait = this.lane.runs > 0 ? Math.round(this.lane.waitMs / this.lane.runs) : 0
    const avgBusy = this.lane.runs > 0 ? Math.round(this.lane.busyMs / this.lane.runs) : 0
    const detail = this.closeInfo ? `; ${this.closeInfo}` : ''
    this.ctx.log(
      `session ${this.ctx.id} ${this.ctx.remote}: ${(this.samples / RATE).toFixed(1)} s audio, ${this.finals} finals, ${this.lane.runs} steps (avg ${avgBusy} ms, wait ${avgWait} ms), closed ${code}${reason ? ` ${reason}` : ''}${detail}`,
    )
    this.ctx.onClosed(this)
  }
}

/**
 * Binary frames that arrive while the session's queue is busy (behind a start, a flush, or the frames before
 * them in the same burst), handled as one task. After the first, frames are copied into shared blocks, so a
 * flood of tiny or empty frames costs its bytes (what the backlog cap counts), not a Buffer, closure and
 * promise each (about 400 bytes a frame, which let 1,000,000 one-byte frames hold 430 MB).
 */
class AudioBatch {
  bytes = 0
  private readonly parts: Buffer[] = []
  private block: Buffer | undefined
  private used = 0

  add(frame: Buffer): void {
    if (frame.length === 0) return
    this.bytes += frame.length
    if (this.parts.length === 0 && !this.block) {
      this.parts.push(frame) // the usual case, one frame per task: kept as it is
      return
    }
    if (!this.block || this.used + frame.length > this.block.length) {
      this.seal()
      this.block = Buffer.allocUnsafe(Math.max(BATCH_BLOCK_BYTES, frame.length))
    }
    frame.copy(this.block, this.used)
    this.used += frame.length
  }

  /** The frames' bytes, in order. */
  take(): Buffer[] {
    this.seal()
    return this.parts
  }

  private seal(): void {
    if (this.block && this.used > 0) this.parts.push(this.block.subarray(0, this.used))
    this.block = undefined
    this.used = 0
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}
