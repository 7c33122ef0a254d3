// Over 300 lines: one class whose message, audio and teardown handlers share the session's state; its audio paths
// (session-audio.ts) and frame batching (audio-batch.ts) are already their own modules.
import type {RawData, WebSocket} from 'ws'
import type {DecodingOptions} from '../engine/decode/decoding-options.js'
import type {Engine} from '../engine/engine.js'
import {isWhisperStreamError} from '../engine/errors.js'
import {samplesToSeconds} from '../engine/events.js'
import type {Streamer} from '../engine/stream/streamer.js'
import {AudioBatch, toBuffer} from './audio-batch.js'
import {clientMessage} from './error-wording.js'
import type {ServerMetrics} from './metrics.js'
import {
  defaultStreamOptions,
  errorCodes,
  parseControl,
  ProtocolError,
  type ErrorCodeName,
  type ServerMessage,
  type StreamOptions,
} from './protocol.js'
import type {FairScheduler, Lane} from './scheduler.js'
import {openSessionAudio, type SessionAudio} from './session-audio.js'

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
  /** The server's decoding settings; the session's language and task go on top. */
  decoding?: Partial<DecodingOptions> | undefined
  log: (line: string) => void
  metrics: ServerMetrics
  onClosed: (session: StreamSession) => void
}

/**
 * What one queued task costs besides its audio (closure and promise), counted against the backlog cap so that
 * a flood of `flush`es behind a slow step is bounded too. Audio frames share one task (AudioBatch).
 */
const QUEUED_TASK_BYTES = 256

type State = 'waiting' | 'starting' | 'running' | 'ending' | 'closed'

/** The session's working parts once started: one Streamer for its whole life, and the path its audio takes to it. */
interface Running {
  streamer: Streamer
  audio: SessionAudio
}

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
  /** Every task in arrival order; it never rejects (a task's failure ends the session, see enqueue). */
  private chain: Promise<void> = Promise.resolve()
  private queuedBytes = 0
  /** Audio frames joining the task at the end of the queue, until that task starts (see AudioBatch). */
  private batch: AudioBatch | undefined
  private running: Running | undefined
  private samples = 0
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

  /** Server shutdown: stop reading, commit and send what was heard, `done`, close 1001. Never rejects. */
  shutdown(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve()
    if (!this.ended) {
      this.ended = true
      this.enqueue(0, () => this.finish(1001, 'server shutting down'))
    }
    return this.chain
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.touch()
    if (this.ended || this.state === 'closed') return
    const bytes = toBuffer(data)
    if (isBinary) return this.queueAudio(bytes)
    let control
    try {
      control = parseControl(bytes.toString('utf8'))
    } catch (error) {
      return this.enqueue(0, async () => this.fail(error))
    }
    if (control.type === 'start') {
      const options = control.options
      this.enqueue(0, () => this.start(options))
    } else if (control.type === 'flush') {
      this.enqueue(0, async () => this.commitNow(await this.started()))
    } else {
      this.ended = true
      this.enqueue(0, async () => {
        await this.started()
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
        const running = await this.started()
        for (const part of created.take()) this.audio(running, part)
      })
      this.batch = batch = created
    }
    batch.add(bytes)
    this.queuedBytes += bytes.length
    this.checkBacklog()
  }

  /**
   * Runs `task` after everything received before it; what waits here counts against the backlog cap. A task that
   * throws ends the session with its error; `chain` itself never rejects.
   */
  private enqueue(payload: number, task: () => Promise<void>): void {
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
  }

  private checkBacklog(): void {
    if (this.queuedBytes > this.backlogCapBytes() && this.state !== 'closed') {
      this.fail(new ProtocolError('overloaded', 'audio arrives faster than it can be handled'))
    }
  }

  private backlogCapBytes(): number {
    return Math.max(1 << 20, this.ctx.limits.maxBacklogSeconds * this.options.sample_rate * 4)
  }

  /** The running parts, starting with the defaults if no `start` came first. */
  private async started(): Promise<Running> {
    if (this.state === 'waiting') await this.start({})
    if (!this.running) throw new ProtocolError('internal', 'the session did not start')
    return this.running
  }

  private async start(frame: Partial<StreamOptions>): Promise<void> {
    if (this.state !== 'waiting')
      throw new ProtocolError('unsupported-message', 'the session has already started; send start once, before any audio')
    this.state = 'starting'
    this.options = {...defaultStreamOptions, ...this.query, ...frame}
    let streamer: Streamer
    try {
      streamer = await this.ctx.engine.openStream({
        decoding: {...this.ctx.decoding, language: this.options.language, task: this.options.task},
        gate: this.lane,
        stepMs: this.options.step_ms,
        vad: this.options.vad,
        noPartials: !this.options.partials,
        stats: false,
        signal: this.abort.signal,
      })
    } catch (error) {
      throw isWhisperStreamError(error) && error.code === 'usage' ? new ProtocolError('invalid-message', clientMessage(error)) : error
    }
    streamer.on('partial', (event) => this.guard(() => this.send(event)))
    streamer.on('final', (event) => {
      this.finals++
      this.ctx.metrics.finals.inc()
      this.guard(() => this.send(event))
    })
    streamer.on('error', (error) => this.guard(() => this.fail(error)))
    if (this.isClosed()) return
    const audio = openSessionAudio(this.options, {
      sampleRate: streamer.sampleRate,
      ffmpegPath: this.ctx.ffmpegPath,
      maxPendingBytes: this.backlogCapBytes(),
      sink: (pcm) => this.pushPcm(streamer, pcm),
      onError: (error) => this.guard(() => this.fail(error)),
    })
    this.running = {streamer, audio}
    this.state = 'running'
    this.send({type: 'ready', session: this.ctx.id, model: this.ctx.engine.model.name, options: this.options})
  }

  private audio(running: Running, bytes: Buffer): void {
    if (this.state === 'running') running.audio.write(bytes)
  }

  private pushPcm(streamer: Streamer, chunk: Float32Array): void {
    if (this.state === 'closed') return
    streamer.push(chunk)
    this.samples += chunk.length
    this.ctx.metrics.audio('stream', chunk.length / streamer.sampleRate)
    if (streamer.backlogSamples > this.ctx.limits.maxBacklogSeconds * streamer.sampleRate) {
      throw new ProtocolError('overloaded', 'audio arrives faster than it can be transcribed')
    }
  }

  /** `flush`: commit everything heard so far now, then go on (the same Streamer: ids and times simply continue). */
  private async commitNow(running: Running): Promise<void> {
    running.audio.flush()
    await running.streamer.commitNow()
  }

  private async finish(code: number, reason: string): Promise<void> {
    if (this.isClosed()) return
    this.state = 'ending'
    clearTimeout(this.idleTimer)
    const running = this.running
    if (running) {
      await running.audio.end()
      await running.streamer.flush()
    }
    if (this.isClosed()) return
    this.send({type: 'done', audio: this.seconds(), finals: this.finals})
    this.close(code, reason)
  }

  /** Seconds of audio received, to the millisecond. */
  private seconds(): number {
    const rate = this.running?.streamer.sampleRate
    return rate ? samplesToSeconds(this.samples, rate) : 0
  }

  private isClosed(): boolean {
    return this.state === 'closed'
  }

  private fail(error: unknown): void {
    if (this.state === 'closed') return
    const code: ErrorCodeName = error instanceof ProtocolError ? error.code : 'internal'
    const message = error instanceof ProtocolError ? error.message : isWhisperStreamError(error) ? clientMessage(error) : String(error)
    if (code === 'internal' && !(error instanceof ProtocolError)) this.ctx.log(`session ${this.ctx.id}: ${message}`)
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
      this.guard(() =>
        this.enqueue(0, () => Promise.reject(new ProtocolError('idle-timeout', `no frame for ${this.ctx.limits.idleTimeoutMs} ms`))),
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
    this.running?.audio.close()
    const avgWait = this.lane.runs > 0 ? Math.round(this.lane.waitMs / this.lane.runs) : 0
    const avgBusy = this.lane.runs > 0 ? Math.round(this.lane.busyMs / this.lane.runs) : 0
    const detail = this.closeInfo ? `; ${this.closeInfo}` : ''
    this.ctx.log(
      `session ${this.ctx.id} ${this.ctx.remote}: ${this.seconds().toFixed(1)} s audio, ${this.finals} finals, ${this.lane.runs} steps (avg ${avgBusy} ms, wait ${avgWait} ms), closed ${code}${reason ? ` ${reason}` : ''}${detail}`,
    )
    this.ctx.onClosed(this)
  }
}
