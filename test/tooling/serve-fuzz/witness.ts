// A well-behaved session that streams speech through a fuzz run and must come through whole.
import {WebSocket} from 'ws'
import {invariants, RATE} from './oracle.js'
import type {ServerMessage} from './raw-ws.js'
import {sleep} from './wait.js'

export interface WitnessResult {
  ok: boolean
  problems: string[]
  finals: number
  /** Finals that arrived before `end` was sent: the session was served during the fuzz, not only after it. */
  finalsBeforeEnd: number
  closeCode: number
  audioSeconds: number
  latencies: number[]
}

/**
 * A well-behaved session: streams `pcm` (16 kHz float32, looped) in 100 ms frames at `speed` × real time
 * until stopped, then `end`; it must get ready, finals with ids 0..n-1, `done` and close 1000.
 */
export class Witness {
  readonly ws: WebSocket
  readonly messages: ServerMessage[] = []
  readonly problems: string[] = []
  /** Final-event latencies not yet taken: receive time minus the wall time the final's last audio was sent. */
  private pending: number[] = []
  private readonly all: number[] = []
  private sent = 0
  private t0 = 0
  private stopping = false
  private endSent = false
  private finalsBeforeEnd = 0
  private closeCode = 0
  private readonly closed: Promise<void>
  private loop: Promise<void> = Promise.resolve()
  private onFinal: Array<() => void> = []

  constructor(
    wsUrl: string,
    private readonly pcm: Float32Array,
    private readonly options: {query?: string; speed?: number; frameMs?: number} = {},
  ) {
    this.ws = new WebSocket(`${wsUrl}/v1/stream${options.query ?? '?encoding=f32le'}`)
    this.ws.on('error', (error) => this.problems.push(`socket error: ${error.message}`))
    this.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage
      this.messages.push(message)
      if (message.type === 'final') {
        if (!this.endSent) this.finalsBeforeEnd++
        const speed = this.options.speed ?? 1
        const latency = performance.now() - (this.t0 + ((message['end'] as number) * 1000) / speed)
        this.pending.push(latency)
        this.all.push(latency)
        for (const resolve of this.onFinal.splice(0)) resolve()
      }
      if (message.type === 'error') this.problems.push(`error ${String(message['code'])}: ${String(message['message'])}`)
    })
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.closeCode = code
        resolve()
      }),
    )
  }

  /** Waits for the upgrade (bounded), then streams in the background. */
  async start(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('witness: no upgrade')), timeoutMs)
      this.ws.once('open', () => {
        clearTimeout(timer)
        resolve()
      })
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`witness: HTTP ${res.statusCode}`)))
    })
    this.t0 = performance.now()
    this.loop = this.stream()
  }

  private async stream(): Promise<void> {
    const frame = Math.round(((this.options.frameMs ?? 100) / 1000) * RATE)
    const speed = this.options.speed ?? 1
    const buffer = new Float32Array(frame)
    while (!this.stopping && this.ws.readyState === this.ws.OPEN) {
      for (let i = 0; i < frame; i++) buffer[i] = this.pcm[(this.sent + i) % this.pcm.length]
      this.ws.send(Buffer.from(buffer.buffer.slice(0)))
      this.sent += frame
      const wait = this.t0 + ((this.sent / RATE) * 1000) / speed - performance.now()
      await sleep(Math.max(0, wait))
    }
  }

  /** Resolves at the first final (at once if one came), or after `timeoutMs` (the caller checks `messages`). */
  firstFinal(timeoutMs: number): Promise<void> {
    if (this.messages.some((m) => m.type === 'final')) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.onFinal.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Final latencies since the last call. */
  takeLatencies(): number[] {
    const out = this.pending
    this.pending = []
    return out
  }

  get audioSeconds(): number {
    return this.sent / RATE
  }

  /** Stops streaming, sends `end`, waits (bounded) for done and the close, and checks everything. */
  async stop(timeoutMs = 60_000): Promise<WitnessResult> {
    this.stopping = true
    await this.loop
    if (this.ws.readyState === this.ws.OPEN) {
      this.ws.send(JSON.stringify({type: 'end'}))
      this.endSent = true
    }
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ])
    clearTimeout(timer)
    const problems = [...this.problems]
    if (!finished) {
      problems.push(`no close within ${timeoutMs} ms`)
      this.ws.terminate()
    }
    problems.push(...invariants(this.messages, this.sent))
    const finals = this.messages.filter((m) => m.type === 'final').length
    if (this.messages[0]?.type !== 'ready') problems.push(`first message ${this.messages[0]?.type ?? 'none'}`)
    if (this.messages.at(-1)?.type !== 'done') problems.push(`last message ${this.messages.at(-1)?.type ?? 'none'}, not done`)
    if (finals === 0) problems.push('no finals')
    if (this.closeCode !== 1000) problems.push(`closed ${this.closeCode}, not 1000`)
    return {
      ok: problems.length === 0,
      problems,
      finals,
      finalsBeforeEnd: this.finalsBeforeEnd,
      closeCode: this.closeCode,
      audioSeconds: this.audioSeconds,
      latencies: this.all,
    }
  }
}
