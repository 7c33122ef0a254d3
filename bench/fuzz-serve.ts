// Fuzz harness for `whisper-stream serve` (issue 8): seeded misbehaving WebSocket clients against a server in
// its own process, while well-behaved "witness" sessions stream speech and must come through intact. Each case
// knows the outcome docs/protocol.md documents for it (an `error` code and close code, a close by `ws`, an HTTP
// refusal, or a normal `done`/1000), and any other outcome counts as unexpected.
//
// test/reliability/server-fuzz.test.ts runs a bounded set of these cases in `npm test`; this file is also the
// long-run harness:
//   node --import tsx bench/fuzz-serve.ts [--seconds 120] [--seed 1] [--sessions 4] [--witnesses 1] [--model DIR]
//   node --import tsx bench/fuzz-serve.ts --case random-frame:12345     (replays one case)
// It prints the server's RSS every 10 s and the cases by kind and outcome, and exits 1 if the server died, a
// witness failed, a case ended in an undocumented outcome, or sessions did not go back to 0. It needs dist/
// (npm run build). All traffic goes to 127.0.0.1; every loop is bounded in count and time.
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {rename, rm} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {WebSocket} from 'ws'
import {generateModel, GENERATOR_VERSION} from '../models/generator/index.js'
import {mulberry32} from '../models/generator/weights.js'
import {findRepoRoot} from './paths.js'

// ---------------------------------------------------------------------------------------------- seeded PRNG

export type Rng = () => number

/** mulberry32 (the generator's): same seed → same cases. */
export {mulberry32}
export const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]
const chance = (rng: Rng, p: number): boolean => rng() < p
export function randBytes(rng: Rng, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256)
  return out
}

// ------------------------------------------------------------------------------------ the server, as a child

export interface ServeChild {
  pid: number
  /** http://127.0.0.1:PORT */
  url: string
  /** The last stderr lines (at most 2000). */
  lines: string[]
  /** Sessions the server logged as closed, by close code. */
  closes: Map<number, number>
  /** Exit code once it has exited (null: killed by a signal); undefined while it runs. */
  exit: number | null | undefined
  exited: Promise<number | null>
  /** SIGTERM (the documented shutdown), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts `node bin/run.js serve --model DIR --port 0 …` and waits for `listening on http://…` (bounded). */
export async function startServeChild(modelDir: string, extraArgs: string[] = [], timeoutMs = 90_000): Promise<ServeChild> {
  const root = findRepoRoot()
  if (!existsSync(path.join(root, 'dist', 'src', 'commands', 'serve.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'serve', '--model', modelDir, '--host', '127.0.0.1', '--port', '0', ...extraArgs],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {...process.env, WHISPER_STREAM_DEBUG: '', NO_COLOR: '1', HF_HUB_OFFLINE: '1'},
    },
  )
  const lines: string[] = []
  const closes = new Map<number, number>()
  let partial = ''
  let listening: ((url: string) => void) | undefined
  child.stderr!.on('data', (data: Buffer) => {
    partial += data.toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      if (lines.length > 2000) lines.shift()
      const closed = /^session \d+ .* closed (\d+)/.exec(line)
      if (closed) closes.set(Number(closed[1]), (closes.get(Number(closed[1])) ?? 0) + 1)
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) listening?.(match[1])
    }
  })
  const server: ServeChild = {
    pid: child.pid!,
    url: '',
    lines,
    closes,
    exit: undefined,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async stop(graceMs = 20_000) {
      if (server.exit !== undefined) return server.exit
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await server.exited
      clearTimeout(timer)
      return code
    },
  }
  server.exited.then((code) => (server.exit = code)).catch(() => undefined) // exited never rejects
  server.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve did not start within ${timeoutMs} ms: ${lines.join('\n')}`))
    }, timeoutMs)
    listening = (url) => {
      clearTimeout(timer)
      resolve(url)
    }
    server.exited
      .then((code) => {
        clearTimeout(timer)
        reject(new Error(`serve exited with ${code}: ${lines.join('\n')}${partial}`))
      })
      .catch(reject)
  })
  return server
}

/** Resident memory of a process, MiB (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    return Math.round((kb / 1024) * 10) / 10
  } catch {
    return 0
  }
}

/** Direct child processes (per-session ffmpeg decoders) of `pid`, from /proc; [] where /proc is missing. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
    )
  } catch {
    return []
  }
}

export async function health(url: string): Promise<{status: string; sessions: number}> {
  const res = await fetch(`${url}/health`, {signal: AbortSignal.timeout(5000)})
  return (await res.json()) as {status: string; sessions: number}
}

/** Polls /health until at most `sessions` are open (bounded); returns the last count seen. */
export async function waitForSessions(url: string, sessions: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let seen = Number.NaN
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    seen = (await health(url).catch(() => ({sessions: Number.NaN}))).sessions
    if (seen <= sessions) return seen
    await sleep(100)
  }
  return seen
}

/** The generated `mini` model the tests use (<repo>/.cache/test-models/mini-vN), generated once if missing. */
export async function miniModelDir(): Promise<string> {
  const dir = path.join(findRepoRoot(), '.cache', 'test-models', `mini-v${GENERATOR_VERSION}`)
  if (existsSync(dir)) return dir
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  try {
    await generateModel({preset: 'mini', seed: 1, out: tmp})
    await rename(tmp, dir)
  } catch (error) {
    if (!existsSync(dir)) throw error
  } finally {
    await rm(tmp, {recursive: true, force: true})
  }
  return dir
}

// ------------------------------------------------------------------------ a raw WebSocket client (RFC 6455)

export interface FrameSpec {
  opcode: number
  payload: Buffer
  fin?: boolean
  /** RSV1..3 as bits 4..6 of the first byte (0x40, 0x20, 0x10). */
  rsv?: number
  mask?: boolean
  /** 'min': the shortest length encoding; 16 / 64: force the 126 / 127 form. */
  lengthForm?: 'min' | 16 | 64
  /** Length written in the header when it differs from the payload sent (a frame that claims more). */
  declaredLength?: number
}

export function encodeFrame(spec: FrameSpec, maskKey: Buffer): Buffer {
  const len = spec.declaredLength ?? spec.payload.length
  const form = spec.lengthForm ?? 'min'
  const b0 = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) & 0x70) | (spec.opcode & 0x0f)
  const maskBit = spec.mask === false ? 0 : 0x80
  let header: Buffer
  if (form === 'min' && len < 126) header = Buffer.from([b0, maskBit | len])
  else if (form !== 64 && len < 65_536) {
    header = Buffer.from([b0, maskBit | 126, 0, 0])
    header.writeUInt16BE(len, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = b0
    header[1] = maskBit | 127
    header.writeBigUInt64BE(BigInt(len), 2)
  }
  if (spec.mask === false) return Buffer.concat([header, spec.payload])
  const masked = Buffer.alloc(spec.payload.length)
  for (let i = 0; i < masked.length; i++) masked[i] = spec.payload[i] ^ maskKey[i & 3]
  return Buffer.concat([header, maskKey, masked])
}

export type ServerMessage = {type: string; [key: string]: unknown}

/**
 * A WebSocket client written on a bare TCP socket, so it can send what `ws` refuses to (unmasked frames,
 * reserved bits and opcodes, lying lengths, invalid UTF-8), stop reading, or drop the connection mid-frame.
 */
export class RawWs {
  readonly messages: ServerMessage[] = []
  /** The code of the server's close frame (1005 when it had none); undefined until one arrives. */
  closeCode: number | undefined
  pongs = 0
  ended = false
  readonly closed: Promise<void>
  private buffer: Buffer = Buffer.alloc(0)
  private readonly onData = (data: Buffer): void => this.parse(data)

  constructor(
    readonly socket: net.Socket,
    leftover: Buffer,
    private readonly rng: Rng,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    this.closed.then(() => (this.ended = true)).catch(() => undefined) // closed never rejects
    socket.on('data', this.onData)
    if (leftover.length > 0) this.parse(leftover)
  }

  send(spec: FrameSpec): boolean {
    if (this.ended || this.socket.destroyed || this.socket.writableEnded) return false
    return this.socket.write(encodeFrame(spec, randBytes(this.rng, 4)))
  }
  text(value: string | object): boolean {
    return this.send({opcode: 1, payload: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))})
  }
  binary(bytes: Buffer): boolean {
    return this.send({opcode: 2, payload: bytes})
  }
  /** Stops reading: the kernel buffers fill and the server's writes queue up behind them. */
  stopReading(): void {
    this.socket.off('data', this.onData)
    this.socket.pause()
  }
  /** Drops the TCP connection without a close frame: FIN, or RST with `reset`. */
  drop(reset: boolean): void {
    if (reset && typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy()
    else this.socket.destroy()
  }
  /** Waits (bounded) until the server closes; on timeout drops the socket and returns false. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const ok = await Promise.race([this.closed.then(() => true), timedOut])
    clearTimeout(timer)
    if (!ok) this.socket.destroy()
    return ok
  }
  /** Waits (bounded) for the first message of `type`. */
  async waitFor(type: string, timeoutMs: number): Promise<ServerMessage | undefined> {
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      const found = this.messages.find((m) => m.type === type)
      if (found || this.ended) return found
      await sleep(10)
    }
    return undefined
  }
  /** Waits until the socket's write buffer is below `bytes` (bounded). */
  async drained(bytes = 1 << 20, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.socket.writableLength > bytes && !this.ended && Date.now() < deadline) await sleep(5)
  }

  private parse(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data])
    for (let guard = 0; guard < 100_000; guard++) {
      const b = this.buffer
      if (b.length < 2) return
      const opcode = b[0] & 0x0f
      let len = b[1] & 0x7f
      let offset = 2
      if (len === 126) {
        if (b.length < 4) return
        len = b.readUInt16BE(2)
        offset = 4
      } else if (len === 127) {
        if (b.length < 10) return
        len = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      if (b.length < offset + len) return
      const payload = b.subarray(offset, offset + len)
      this.buffer = b.subarray(offset + len)
      if (opcode === 1) {
        try {
          this.messages.push(JSON.parse(payload.toString('utf8')) as ServerMessage)
        } catch {
          this.messages.push({type: '(not json)', text: payload.toString('utf8').slice(0, 200)})
        }
      } else if (opcode === 8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
        // Answer the close handshake, then end our side.
        this.send({opcode: 8, payload: payload.subarray(0, 2)})
        this.socket.end()
      } else if (opcode === 10) this.pongs++
    }
  }
}

export interface Upgrade {
  /** 101 when upgraded, else the HTTP status of the refusal (0: the connection failed). */
  status: number
  ws?: RawWs
}

/** Opens `ws://…/v1/stream?query` on a raw socket (bounded); a refusal gives its HTTP status. */
export async function rawConnect(
  url: string,
  pathAndQuery: string,
  rng: Rng,
  options: {headers?: Record<string, string>; timeoutMs?: number} = {},
): Promise<Upgrade> {
  const {hostname, port} = new URL(url)
  const socket = net.connect({host: hostname, port: Number(port)})
  socket.setNoDelay(true)
  socket.on('error', () => {})
  const key = randBytes(rng, 16).toString('base64')
  const headers = Object.entries(options.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  const request = `GET ${pathAndQuery} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`
  return new Promise<Upgrade>((resolve) => {
    let head = Buffer.alloc(0)
    const finish = (result: Upgrade): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      resolve(result)
    }
    const onData = (data: Buffer): void => {
      head = Buffer.concat([head, data])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0)
      if (status !== 101) {
        socket.destroy()
        return finish({status})
      }
      finish({status, ws: new RawWs(socket, head.subarray(end + 4), rng)})
    }
    const onClose = (): void => finish({status: 0})
    const timer = setTimeout(() => {
      socket.destroy()
      finish({status: 0})
    }, options.timeoutMs ?? 10_000)
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('connect', () => socket.write(request))
  })
}

// -------------------------------------------------------------------------------------------------- cases

export const CASE_KINDS = [
  'binary-before-start',
  'binary-after-start',
  'text-garbage',
  'json-not-object',
  'unknown-type',
  'bad-option',
  'start-late',
  'http-refusal',
  'invalid-utf8',
  'oversized',
  'random-frame',
  'tiny-flood',
  'message-flood',
  'flush-cycles',
  'stall',
  'connect-drop',
  'not-reading',
] as const
export type CaseKind = (typeof CASE_KINDS)[number]

export interface FuzzTarget {
  url: string
  /** The server's --max-frame-bytes. */
  maxFrameBytes: number
  /** The server's --idle-timeout, ms. */
  idleTimeoutMs: number
  /** Bound on one case, ms. */
  caseTimeoutMs: number
}

export interface CaseResult {
  kind: CaseKind
  seed: number
  /** done/1000, error:CODE/CLOSE, close:CODE (closed by ws, no error message), http:STATUS, dropped, dropped-by-client, timeout. */
  outcome: string
  expected: string[]
  ok: boolean
  /** What was sent, and any invariant that failed. */
  note: string
  ms: number
}

const DONE = 'done/1000'
const INVALID = 'error:invalid-message/1007'
const UNSUPPORTED = 'error:unsupported-message/1003'
const RATE = 16_000

/** What a text frame leads to, by docs/protocol.md: 'control' for a well-formed start/flush/end. */
export function textOutcome(text: string): string {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return INVALID
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return INVALID
  const type = (message as Record<string, unknown>)['type']
  if (type === 'start' || type === 'flush' || type === 'end') return 'control'
  return UNSUPPORTED
}

/** The outcome of a finished raw session, in the vocabulary of CaseResult.outcome. */
export function outcomeOf(ws: RawWs): string {
  if (ws.closeCode === undefined) return 'dropped'
  const last = ws.messages.at(-1)
  if (last?.type === 'error') return `error:${String(last['code'])}/${ws.closeCode}`
  if (last?.type === 'done') return `done/${ws.closeCode}`
  return `close:${ws.closeCode}`
}

/** A session's messages obey the protocol: ready first, final ids 0..n-1, start <= end, done.finals = n. */
function invariants(messages: ServerMessage[], audioSamples?: number): string[] {
  const problems: string[] = []
  const done = messages.find((m) => m.type === 'done')
  if (messages.length > 0 && messages[0].type !== 'ready' && messages[0].type !== 'error')
    problems.push(`first message ${messages[0].type}`)
  const finals = messages.filter((m) => m.type === 'final')
  finals.forEach((f, i) => {
    if (f['id'] !== i) problems.push(`final ${i} has id ${String(f['id'])}`)
    if (!((f['end'] as number) >= (f['start'] as number))) problems.push(`final ${i} ends before it starts`)
  })
  if (done && done['finals'] !== finals.length) problems.push(`done.finals ${String(done['finals'])} but ${finals.length} finals`)
  if (done && audioSamples !== undefined && Math.abs((done['audio'] as number) - audioSamples / RATE) > 0.0006) {
    problems.push(`done.audio ${String(done['audio'])} s, sent ${audioSamples / RATE} s`)
  }
  return problems
}

/** Random options a session may legitimately ask for (raw PCM at 16 kHz most of the time). */
function validOptions(rng: Rng): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  const encoding = pick(rng, ['f32le', 'f32le', 's16le', 's16le', 'webm', undefined])
  if (encoding) options['encoding'] = encoding
  if (encoding !== 'webm' && chance(rng, 0.25)) options['sample_rate'] = pick(rng, [8000, 22_050, 44_100, 48_000])
  if (chance(rng, 0.5)) options['step_ms'] = randInt(rng, 200, 3000)
  if (chance(rng, 0.5)) options['vad'] = chance(rng, 0.5)
  if (chance(rng, 0.5)) options['partials'] = chance(rng, 0.5)
  if (chance(rng, 0.3)) options['language'] = pick(rng, ['en', 'auto'])
  return options
}

const query = (options: Record<string, unknown>): string => {
  const entries = Object.entries(options).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
  return entries.length ? `?${entries.join('&')}` : ''
}

/**
 * `samples` of a noisy tone in the session's encoding. Random bytes would be fine for s16le but, read as
 * float32, hold NaN, infinities and 1e38s: the 'nonfinite' flavour sends exactly that.
 */
function audioBytes(rng: Rng, encoding: string, samples: number, flavour: 'tone' | 'noise' | 'nonfinite'): Buffer {
  if (flavour === 'nonfinite' || encoding === 'webm') return randBytes(rng, samples * 4)
  const f0 = 100 + rng() * 400
  const out = Buffer.alloc(samples * (encoding === 's16le' ? 2 : 4))
  for (let i = 0; i < samples; i++) {
    const v = flavour === 'noise' ? rng() * 2 - 1 : 0.3 * Math.sin((2 * Math.PI * f0 * i) / RATE) + 0.02 * (rng() * 2 - 1)
    if (encoding === 's16le') out.writeInt16LE(Math.round(v * 32767), i * 2)
    else out.writeFloatLE(v, i * 4)
  }
  return out
}

/** Sizes that add up to `total`, each 1..max. */
function splits(rng: Rng, total: number, max: number): number[] {
  const out: number[] = []
  for (let left = total; left > 0 && out.length < 100_000;) {
    const n = Math.min(left, randInt(rng, 1, max))
    out.push(n)
    left -= n
  }
  return out
}

interface CaseContext {
  rng: Rng
  target: FuzzTarget
  notes: string[]
  expected: string[]
  /** Exact samples the session should report in `done` (raw PCM at 16 kHz only). */
  audioSamples?: number
}

type CaseBody = (ctx: CaseContext) => Promise<string>

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function open(ctx: CaseContext, q = '', headers?: Record<string, string>): Promise<RawWs | string> {
  const up = await rawConnect(ctx.target.url, `/v1/stream${q}`, ctx.rng, {headers, timeoutMs: ctx.target.caseTimeoutMs})
  if (!up.ws) return `http:${up.status}`
  return up.ws
}

async function finishWith(ctx: CaseContext, ws: RawWs): Promise<string> {
  if (!(await ws.waitClosed(ctx.target.caseTimeoutMs))) return 'timeout'
  const outcome = outcomeOf(ws)
  const problems = invariants(ws.messages, outcome === DONE ? ctx.audioSamples : undefined)
  if (problems.length) ctx.notes.push(`INVARIANT: ${problems.join('; ')}`)
  return problems.length ? `invariant:${outcome}` : outcome
}

/** Sends audio as random-size frames; returns the bytes sent per flush segment. */
async function sendFrames(ctx: CaseContext, ws: RawWs, bytes: Buffer, maxFrame: number, flushAt?: number): Promise<number[]> {
  const segments = [0]
  let offset = 0
  for (const size of splits(ctx.rng, bytes.length, maxFrame)) {
    if (flushAt !== undefined && offset >= flushAt && segments.length === 1) {
      ws.text({type: 'flush'})
      segments.push(0)
    }
    ws.binary(bytes.subarray(offset, offset + size))
    segments[segments.length - 1] += size
    offset += size
    if (ws.socket.writableLength > 256 * 1024) await ws.drained(64 * 1024)
  }
  return segments
}

const bodies: Record<CaseKind, CaseBody> = {
  // Audio with no start frame: the defaults (or the query) apply at the first frame (docs: "Without either …").
  async 'binary-before-start'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['f32le', 's16le'])
    const q = encoding === 'f32le' && chance(rng, 0.5) ? '' : `?encoding=${encoding}`
    const flavour = pick(rng, ['tone', 'noise', 'nonfinite'] as const)
    const samples = randInt(rng, 1, 3 * RATE)
    const bytes = audioBytes(rng, encoding, samples, flavour)
    const maxFrame = pick(rng, [7, 640, 3200, 16_384, 60_000])
    const flushAt = chance(rng, 0.25) ? randInt(rng, 0, bytes.length) : undefined
    ctx.notes.push(
      `${q || 'no query'}, ${flavour}, ${bytes.length} B in frames ≤ ${maxFrame} B${flushAt !== undefined ? `, flush at ${flushAt}` : ''}`,
    )
    ctx.expected.push(DONE)
    const ws = await open(ctx, q)
    if (typeof ws === 'string') return ws
    const bps = encoding === 's16le' ? 2 : 4
    const segments = await sendFrames(ctx, ws, bytes, maxFrame, flushAt)
    ctx.audioSamples = segments.reduce((sum, n) => sum + Math.floor(n / bps), 0)
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // A start frame (or query, or both) with valid random options, then audio; webm of random bytes may not decode.
  async 'binary-after-start'(ctx) {
    const {rng} = ctx
    const options = validOptions(rng)
    const viaQuery = chance(rng, 0.3)
    const encoding = String(options['encoding'] ?? 'f32le')
    const rate = Number(options['sample_rate'] ?? RATE)
    const flavour = encoding === 'f32le' ? pick(rng, ['tone', 'noise', 'nonfinite'] as const) : pick(rng, ['tone', 'noise'] as const)
    const samples = randInt(rng, 1, Math.round(2.5 * rate))
    const bytes = audioBytes(rng, encoding, encoding === 'webm' ? randInt(rng, 1, 4000) : samples, flavour)
    const maxFrame = pick(rng, [5, 1000, 8192, 32_768])
    const flushAt = encoding !== 'webm' && chance(rng, 0.25) ? randInt(rng, 0, bytes.length) : undefined
    ctx.notes.push(
      `${JSON.stringify(options)} via ${viaQuery ? 'query' : 'start'}, ${flavour}, ${bytes.length} B in frames ≤ ${maxFrame} B${flushAt !== undefined ? `, flush at ${flushAt}` : ''}`,
    )
    ctx.expected.push(DONE)
    // Random bytes are not webm: ffmpeg refuses them (or, rarely, finds nothing in them and the stream is just empty).
    if (encoding === 'webm') ctx.expected.push('error:undecodable-audio/1007')
    const ws = await open(ctx, viaQuery ? query(options) : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', ...options})
    const segments = await sendFrames(ctx, ws, bytes, maxFrame, flushAt)
    if (encoding !== 'webm' && rate === RATE) {
      const bps = encoding === 's16le' ? 2 : 4
      ctx.audioSamples = segments.reduce((sum, n) => sum + Math.floor(n / bps), 0)
    }
    ws.text({type: 'end'})
    const outcome = await finishWith(ctx, ws)
    const ready = ws.messages[0]
    if (ready?.type === 'ready') {
      const applied = ready['options'] as Record<string, unknown>
      for (const [key, value] of Object.entries(options)) {
        const want = key === 'language' && value === 'auto' ? undefined : value
        if (applied[key] !== want) return `invariant:ready.options.${key}=${String(applied[key])}`
      }
    }
    return outcome
  },

  // Text where audio or a start was expected: anything that is not a JSON object → invalid-message, 1007.
  async 'text-garbage'(ctx) {
    const {rng} = ctx
    const makers: Array<() => string> = [
      () => String.fromCharCode(...Array.from({length: randInt(rng, 1, 200)}, () => randInt(rng, 32, 126))),
      () => String.fromCodePoint(...Array.from({length: randInt(rng, 1, 60)}, () => randInt(rng, 0xa0, 0x2ffff))),
      () => JSON.stringify({type: 'start', encoding: 's16le', sample_rate: 16_000}).slice(0, randInt(rng, 1, 40)),
      () => `${JSON.stringify({type: pick(rng, ['end', 'flush', 'start'])})}${pick(rng, ['x', '}', ',', ' {}'])}`,
      () => '',
      () => `{'type': 'start'}`,
      () => randBytes(rng, randInt(rng, 1, 64)).toString('base64'),
    ]
    const text = pick(rng, makers)()
    const when = pick(rng, ['first', 'after-start', 'after-audio'] as const)
    const expected = textOutcome(text)
    ctx.expected.push(expected === 'control' ? DONE : expected)
    ctx.notes.push(`${when}: ${JSON.stringify(text.slice(0, 80))}`)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when !== 'first') ws.text({type: 'start', encoding: 's16le'})
    if (when === 'after-audio') await sendFrames(ctx, ws, audioBytes(rng, 's16le', randInt(rng, 1, RATE), 'tone'), 4000)
    ws.text(text)
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  async 'json-not-object'(ctx) {
    const {rng} = ctx
    const text = pick(rng, [
      '42',
      '[]',
      '[{"type":"start"}]',
      '"start"',
      'null',
      'true',
      '-0.5e3',
      '"{\\"type\\":\\"end\\"}"',
      String(rng() * 1e6),
    ])
    ctx.notes.push(text)
    ctx.expected.push(INVALID)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (chance(rng, 0.5)) ws.text({type: 'start'})
    ws.text(text)
    return finishWith(ctx, ws)
  },

  // JSON objects with a type the protocol does not know → unsupported-message, 1003.
  async 'unknown-type'(ctx) {
    const {rng} = ctx
    const type = pick<unknown>(rng, [
      'START',
      'End',
      'stop',
      'pause',
      '',
      'start ',
      'flush\u0000',
      42,
      null,
      true,
      {type: 'end'},
      ['end'],
      undefined,
      'x'.repeat(randInt(rng, 1, 300)),
    ])
    const message: Record<string, unknown> = type === undefined ? {} : {type}
    if (chance(rng, 0.5)) message['encoding'] = pick(rng, ['s16le', 'mp3', 7])
    ctx.notes.push(JSON.stringify(message).slice(0, 120))
    ctx.expected.push(UNSUPPORTED)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (chance(rng, 0.4)) ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.text(message)
    return finishWith(ctx, ws)
  },

  // One bad option value: in a start frame → invalid-message, 1007; in the query → HTTP 400 at the upgrade.
  // (A language the model lacks passes the query check and fails at start: 1007 both ways.)
  async 'bad-option'(ctx) {
    const {rng} = ctx
    const table: Record<string, unknown[]> = {
      sample_rate: [7999, 192_001, 16_000.5, 'fast', -16_000, 0, true, {}, 'Infinity'],
      encoding: ['mp3', 'F32LE', '', 'pcm', 16, 'opus'],
      language: ['english', 'e', 'en_US', '12', 'xx', 'zz-qq', ''],
      task: ['dance', '', 1, 'TRANSCRIBE'],
      step_ms: [99, 30_001, 'soon', -1, 0, true, '1e9'],
      vad: ['maybe', 2, 'yes', 'TRUE', {}],
      partials: ['no', -1, 'False', []],
    }
    const key = pick(rng, Object.keys(table))
    const value = pick(rng, table[key])
    const viaQuery = chance(rng, 0.35) && typeof value !== 'object' && typeof value !== 'boolean'
    ctx.notes.push(`${key}=${JSON.stringify(value)} via ${viaQuery ? 'query' : 'start'}`)
    const lacked = key === 'language' && (value === 'xx' || value === 'zz-qq')
    ctx.expected.push(viaQuery && !lacked ? 'http:400' : INVALID)
    const good = validOptions(rng)
    delete good[key]
    delete good['encoding'] // keep ffmpeg out of it: the error comes before any audio
    delete good['sample_rate']
    const ws = await open(ctx, viaQuery ? query({...good, [key]: value}) : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', ...good, [key]: value})
    ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // start after audio, twice, or after a flush → unsupported-message, 1003.
  async 'start-late'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['after-audio', 'twice', 'after-flush'] as const)
    ctx.notes.push(variant)
    ctx.expected.push(UNSUPPORTED)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (variant === 'after-audio') ws.binary(audioBytes(rng, 'f32le', randInt(rng, 1, 8000), 'tone'))
    else ws.text({type: 'start', encoding: 'f32le'})
    if (variant === 'after-flush') ws.text({type: 'flush'})
    ws.text({type: 'start', encoding: 's16le'})
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Upgrades the server refuses before any WebSocket exists.
  async 'http-refusal'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['bad-query', 'wrong-path', 'foreign-origin'] as const)
    ctx.notes.push(variant)
    if (variant === 'bad-query') {
      ctx.expected.push('http:400')
      const ws = await open(ctx, pick(rng, ['?sample_rate=1', '?encoding=wav', '?step_ms=0', '?vad=perhaps', '?task=sing']))
      if (typeof ws !== 'string') ws.socket.destroy()
      return typeof ws === 'string' ? ws : 'http:101'
    }
    if (variant === 'wrong-path') {
      ctx.expected.push('http:404')
      const up = await rawConnect(ctx.target.url, pick(rng, ['/v1/streams', '/v2/stream', '/', '/health', '/v1/stream/..%2f']), rng)
      up.ws?.socket.destroy()
      return `http:${up.status}`
    }
    ctx.expected.push('http:403')
    const ws = await open(ctx, '', {Origin: pick(rng, ['http://evil.example', 'null', 'http://127.0.0.1:1'])})
    if (typeof ws !== 'string') ws.socket.destroy()
    return typeof ws === 'string' ? ws : 'http:101'
  },

  // A text frame that is not UTF-8: ws closes with 1007 itself (no error message).
  async 'invalid-utf8'(ctx) {
    const {rng} = ctx
    const good = Buffer.from(JSON.stringify({type: 'start', encoding: 'f32le'}))
    const bad = pick(rng, [
      Buffer.from([0xff]),
      Buffer.from([0xc3, 0x28]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xf5, 0x80, 0x80, 0x80]),
      Buffer.from([0xe2, 0x82]),
    ])
    const at = randInt(rng, 0, good.length)
    const payload = Buffer.concat([good.subarray(0, at), bad, good.subarray(at)])
    const when = pick(rng, ['first', 'after-audio'] as const)
    ctx.notes.push(`${when}: ${payload.toString('hex')}`)
    ctx.expected.push('close:1007')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when === 'after-audio') ws.binary(audioBytes(rng, 'f32le', 4000, 'tone'))
    ws.send({opcode: 1, payload})
    return finishWith(ctx, ws)
  },

  // A frame over --max-frame-bytes → close 1009 (by ws).
  async oversized(ctx) {
    const {rng, target} = ctx
    const size = randInt(rng, target.maxFrameBytes + 1, target.maxFrameBytes * 2)
    const opcode = pick(rng, [1, 2])
    const when = pick(rng, ['first', 'after-start', 'after-audio'] as const)
    ctx.notes.push(`${when}: ${opcode === 1 ? 'text' : 'binary'} ${size} B`)
    ctx.expected.push('close:1009')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when !== 'first') ws.text({type: 'start', encoding: 'f32le'})
    if (when === 'after-audio') ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.send({opcode, payload: opcode === 1 ? Buffer.alloc(size, 0x20) : randBytes(rng, size)})
    return finishWith(ctx, ws)
  },

  // One random frame header (FIN, RSV bits, opcode, MASK, length form) and payload, then a well-formed `end`.
  async 'random-frame'(ctx) {
    const {rng, target} = ctx
    const spec: FrameSpec = {
      opcode: chance(rng, 0.6) ? pick(rng, [1, 2, 8, 9, 10]) : randInt(rng, 0, 15),
      fin: chance(rng, 0.8),
      rsv: chance(rng, 0.8) ? 0 : pick(rng, [0x10, 0x20, 0x40, 0x70]),
      mask: chance(rng, 0.85),
      lengthForm: pick(rng, ['min', 'min', 'min', 16, 64] as const),
      payload: Buffer.alloc(0),
    }
    const tooLong = spec.opcode < 8 && chance(rng, 0.1)
    const length = tooLong
      ? randInt(rng, target.maxFrameBytes + 1, 4 * target.maxFrameBytes)
      : spec.opcode >= 8
        ? randInt(rng, 0, 140)
        : randInt(rng, 0, 4000)
    spec.payload = randomPayload(rng, spec.opcode, tooLong ? 16 : length)
    if (tooLong) spec.declaredLength = length
    const expected = frameOutcome(spec, target.maxFrameBytes)
    ctx.expected.push(...expected)
    ctx.notes.push(
      `fin=${spec.fin} rsv=${spec.rsv} op=${spec.opcode} mask=${spec.mask} len=${spec.declaredLength ?? spec.payload.length}(${spec.lengthForm}) ${spec.payload.subarray(0, 24).toString('hex')}`,
    )
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    ws.send(spec)
    if (!tooLong) ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // 2,000 frames of 1-7 bytes (samples split at odd byte boundaries), then end: every sample arrives once.
  async 'tiny-flood'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['s16le', 'f32le'])
    const frames = Array.from({length: 2000}, () => randInt(rng, 1, 7))
    const total = frames.reduce((a, b) => a + b, 0)
    const bps = encoding === 's16le' ? 2 : 4
    const bytes = audioBytes(rng, encoding, Math.ceil(total / bps), 'tone').subarray(0, total)
    const viaQuery = chance(rng, 0.5)
    // Sometimes behind a flush (the session's queue waits for that inference while the flood arrives).
    const before = chance(rng, 0.3) ? audioBytes(rng, encoding, randInt(rng, 1, 2 * RATE), 'tone') : undefined
    ctx.notes.push(
      `${encoding} via ${viaQuery ? 'query' : 'start'}, ${before ? `${before.length} B and a flush, then ` : ''}${frames.length} frames, ${total} B`,
    )
    ctx.expected.push(DONE)
    ctx.audioSamples = Math.floor(total / bps) + (before ? Math.floor(before.length / bps) : 0)
    const ws = await open(ctx, viaQuery ? `?encoding=${encoding}&vad=false` : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', encoding, vad: false})
    if (before) {
      await sendFrames(ctx, ws, before, 3200)
      ws.text({type: 'flush'})
    }
    let offset = 0
    for (const [i, size] of frames.entries()) {
      ws.binary(bytes.subarray(offset, offset + size))
      offset += size
      if (i % 250 === 249) await yieldNow()
    }
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Thousands of flushes, empty binary frames or 1-byte frames queued behind a flush that waits for an
  // inference: handled, or cut off as overloaded (1013) once the queue passes the backlog cap; never memory.
  async 'message-flood'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['flush', 'empty-binary', 'one-byte'] as const)
    const count = randInt(rng, 3000, 20_000)
    const before = audioBytes(rng, 's16le', randInt(rng, RATE / 2, 2 * RATE), 'tone')
    ctx.notes.push(`${before.length} B, flush, then ${count} × ${variant}`)
    ctx.expected.push(DONE, 'error:overloaded/1013')
    ctx.audioSamples = before.length / 2 + (variant === 'one-byte' ? Math.floor(count / 2) : 0)
    const ws = await open(ctx, '?encoding=s16le&vad=false')
    if (typeof ws === 'string') return ws
    await sendFrames(ctx, ws, before, 3200)
    ws.text({type: 'flush'})
    const one =
      variant === 'flush'
        ? {opcode: 1, payload: Buffer.from('{"type":"flush"}')}
        : {opcode: 2, payload: Buffer.alloc(variant === 'one-byte' ? 1 : 0, 7)}
    for (let sent = 0; sent < count && !ws.ended; sent += 1000) {
      const n = Math.min(1000, count - sent)
      ws.socket.write(Buffer.concat(Array.from({length: n}, () => encodeFrame(one, randBytes(rng, 4)))))
      await ws.drained(256 * 1024)
    }
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Audio and a flush, again and again at a pace inference keeps up with: finals continue (ids, times) and
  // every finished segment's memory is released (each Streamer holds a 30 s ring and mel buffers).
  async 'flush-cycles'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['s16le', 'f32le'])
    const cycles = randInt(rng, 20, 40)
    ctx.notes.push(`${encoding}, ${cycles} cycles of audio + flush`)
    ctx.expected.push(DONE)
    const ws = await open(ctx, `?encoding=${encoding}&vad=false&step_ms=${randInt(rng, 200, 1000)}`)
    if (typeof ws === 'string') return ws
    let samples = 0
    for (let i = 0; i < cycles && !ws.ended; i++) {
      const n = randInt(rng, 800, 3200)
      await sendFrames(ctx, ws, audioBytes(rng, encoding, n, pick(rng, ['tone', 'noise'] as const)), 3200)
      samples += n
      ws.text({type: 'flush'})
      await sleep(150)
    }
    ctx.audioSamples = samples
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Silence after the upgrade, after start, or in the middle of a frame → idle-timeout, 1008.
  async stall(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['silent', 'after-start', 'mid-frame'] as const)
    ctx.notes.push(variant)
    ctx.expected.push('error:idle-timeout/1008')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (variant !== 'silent') ws.text({type: 'start', encoding: 's16le'})
    if (variant === 'mid-frame') {
      const frame = encodeFrame({opcode: 2, payload: audioBytes(rng, 's16le', 800, 'tone')}, randBytes(rng, 4))
      ws.socket.write(frame.subarray(0, randInt(rng, 1, frame.length - 1)))
    }
    return finishWith(ctx, ws)
  },

  // Open, maybe send a bit, then drop the TCP connection (FIN or RST) at a random point.
  async 'connect-drop'(ctx) {
    const {rng, target} = ctx
    const stage = pick(rng, ['mid-handshake', 'after-upgrade', 'after-start', 'mid-audio', 'mid-frame', 'after-end'] as const)
    const reset = chance(rng, 0.5)
    const options = validOptions(rng)
    ctx.notes.push(`${stage}, ${reset ? 'RST' : 'FIN'}, ${JSON.stringify(options)}`)
    ctx.expected.push('dropped-by-client')
    // Random bytes are not webm: ffmpeg may give up (and the server close) before the drop.
    if (options['encoding'] === 'webm' && stage !== 'after-upgrade') ctx.expected.push('error:undecodable-audio/1007')
    if (stage === 'mid-handshake') {
      const {hostname, port} = new URL(target.url)
      const socket = net.connect({host: hostname, port: Number(port)})
      socket.on('error', () => {})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000)
        socket.once('connect', () => {
          socket.write(`GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConn`.slice(0, randInt(rng, 1, 60)))
          clearTimeout(timer)
          resolve()
        })
      })
      socket.destroy()
      return 'dropped-by-client'
    }
    const ws = await open(ctx, query(options))
    if (typeof ws === 'string') return ws
    const encoding = String(options['encoding'] ?? 'f32le')
    if (stage !== 'after-upgrade') ws.text({type: 'start'})
    if (stage === 'mid-audio' || stage === 'after-end')
      await sendFrames(ctx, ws, audioBytes(rng, encoding, randInt(rng, 1, RATE * 2), 'tone'), 6400)
    if (stage === 'mid-frame') {
      const frame = encodeFrame({opcode: 2, payload: audioBytes(rng, encoding, 3200, 'tone')}, randBytes(rng, 4))
      ws.socket.write(frame.subarray(0, randInt(rng, 1, frame.length - 1)))
    }
    if (stage === 'after-end') {
      ws.text({type: 'end'})
      // The server may finish the session before the drop.
      ctx.expected.push(DONE)
    }
    if (chance(rng, 0.5)) await sleep(randInt(rng, 0, 300))
    ws.drop(reset)
    return ws.closeCode === undefined ? 'dropped-by-client' : outcomeOf(ws)
  },

  // Streams, stops reading, and keeps the server writing (pings, each answered by a pong it must buffer):
  // the server drops the connection (ws ends a client with 60 unsent pongs; the session ends one with
  // over 1 MiB of unsent events) instead of buffering without bound.
  async 'not-reading'(ctx) {
    const {rng, target} = ctx
    ctx.expected.push('dropped')
    const ws = await open(ctx, '?encoding=s16le&step_ms=200&vad=false')
    if (typeof ws === 'string') return ws
    await sendFrames(ctx, ws, audioBytes(rng, 's16le', RATE, 'tone'), 3200)
    ws.stopReading()
    const ping = Buffer.alloc(125, 0x70)
    const deadline = Date.now() + target.caseTimeoutMs
    let pings = 0
    // Small bursts (ws also ends a client that has more than 60 pings in flight at once, reading or not), so
    // only the unread pongs piling up behind full kernel buffers can trigger the drop.
    while (!ws.ended && pings < 2_000_000 && Date.now() < deadline) {
      for (let i = 0; i < 20; i++) ws.send({opcode: 9, payload: ping})
      pings += 20
      if (pings % 2000 === 0) ws.binary(audioBytes(rng, 's16le', 160, 'tone'))
      await ws.drained(16 * 1024, 2000)
      await sleep(1)
    }
    ctx.notes.push(`${pings} pings sent before the drop`)
    if (!ws.ended) {
      ws.socket.destroy()
      return 'timeout'
    }
    return ws.closeCode === undefined ? 'dropped' : outcomeOf(ws)
  },
}

/** A payload for a random frame of `opcode`: for text, JSON controls or random text; for close, a code and reason. */
function randomPayload(rng: Rng, opcode: number, length: number): Buffer {
  if (opcode === 1 && chance(rng, 0.6)) {
    return Buffer.from(
      pick(rng, [
        '{"type":"flush"}',
        '{"type":"start","encoding":"s16le"}',
        '{"type":"nope"}',
        'not json',
        '[1,2]',
        '{"type":"start","step_ms":5}',
      ]),
    )
  }
  if (opcode === 8 && length >= 2) {
    const code = pick(rng, [1000, 1001, 1003, 1008, 1011, 3000, 4999, 0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 65_535])
    const reason = chance(rng, 0.8) ? Buffer.from('bye'.repeat(randInt(rng, 0, 10))) : Buffer.from([0xff, 0xfe])
    const out = Buffer.concat([Buffer.alloc(2), reason]).subarray(0, Math.min(125, 2 + reason.length))
    out.writeUInt16BE(code, 0)
    return out
  }
  if (opcode === 2) return audioBytes(rng, 'f32le', Math.floor(length / 4), pick(rng, ['tone', 'nonfinite'] as const))
  return randBytes(rng, length)
}

const isValidUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    return true
  } catch {
    return false
  }
}
const validCloseCode = (code: number): boolean =>
  (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)

/**
 * What one frame followed by a well-formed `end` leads to (RFC 6455 as ws 8 enforces it on a server without
 * permessage-deflate): 1002 for a protocol violation, 1009 over --max-frame-bytes, 1007 for text or a close
 * reason that is not UTF-8, the client's own code echoed for a valid close, else what the session makes of it.
 */
export function frameOutcome(spec: FrameSpec, maxFrameBytes: number): string[] {
  const fin = spec.fin !== false
  const rsv = spec.rsv ?? 0
  const {opcode} = spec
  const length = spec.declaredLength ?? spec.payload.length
  const form = spec.lengthForm ?? 'min'
  const lengthField = form === 'min' && length < 126 ? length : form !== 64 && length < 65_536 ? 126 : 127
  if (rsv !== 0) return ['close:1002']
  if (opcode === 0 || (opcode > 2 && opcode < 8) || opcode > 10) return ['close:1002']
  if (opcode >= 8 && (!fin || lengthField > 125 || (opcode === 8 && length === 1))) return ['close:1002']
  if (spec.mask === false) return ['close:1002']
  if (opcode < 8 && length > maxFrameBytes) return ['close:1009']
  const payload = spec.payload
  if (opcode === 8) {
    if (length === 0) return ['close:1005']
    const code = payload.readUInt16BE(0)
    if (!validCloseCode(code)) return ['close:1002']
    if (!isValidUtf8(payload.subarray(2))) return ['close:1007']
    return [`close:${code}`]
  }
  if (opcode === 9 || opcode === 10) return [DONE]
  // A data frame without FIN starts a fragmented message; the `end` text frame that follows is then a new
  // data frame in the middle of it.
  if (!fin) return ['close:1002']
  if (opcode === 2) return [DONE]
  if (!isValidUtf8(payload)) return ['close:1007']
  const text = payload.toString('utf8')
  const outcome = textOutcome(text)
  if (outcome !== 'control') return [outcome]
  const message = JSON.parse(text) as Record<string, unknown>
  if (message['type'] === 'start' && message['step_ms'] === 5) return [INVALID]
  return [DONE]
}

/** Runs one seeded case (bounded by target.caseTimeoutMs, plus slack) and classifies it. */
export async function runCase(kind: CaseKind, seed: number, target: FuzzTarget): Promise<CaseResult> {
  const ctx: CaseContext = {rng: mulberry32(seed), target, notes: [], expected: []}
  const started = performance.now()
  let outcome: string
  try {
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), target.caseTimeoutMs * 2 + 5000)))
    outcome = await Promise.race([bodies[kind](ctx), bound])
    clearTimeout(timer)
  } catch (error) {
    outcome = `threw:${error instanceof Error ? error.message : String(error)}`
  }
  return {
    kind,
    seed,
    outcome,
    expected: ctx.expected,
    ok: ctx.expected.includes(outcome),
    note: ctx.notes.join(' | '),
    ms: Math.round(performance.now() - started),
  }
}

// ----------------------------------------------------------------------------------------- the witness

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

// -------------------------------------------------------------------------------------------- reporting

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** "kind: N cases: outcome ×n, …" lines, and the unexpected ones with their replay ids. */
export function summarize(results: CaseResult[]): string[] {
  const lines: string[] = []
  for (const kind of CASE_KINDS) {
    const mine = results.filter((r) => r.kind === kind)
    if (mine.length === 0) continue
    const counts = new Map<string, number>()
    for (const r of mine) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1)
    const text = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o} ×${n}`)
      .join(', ')
    lines.push(`${kind.padEnd(20)} ${String(mine.length).padStart(5)}  ${text}`)
  }
  for (const r of results.filter((r) => !r.ok).slice(0, 30)) {
    lines.push(`UNEXPECTED ${r.kind}:${r.seed} → ${r.outcome} (expected ${r.expected.join(' or ')}) ${r.note}`)
  }
  return lines
}

// --------------------------------------------------------------------------------------------- the CLI

/** How often each kind comes up in the long run (connect-drop and random frames the most). */
const WEIGHTS: Record<CaseKind, number> = {
  'binary-before-start': 3,
  'binary-after-start': 4,
  'text-garbage': 3,
  'json-not-object': 1,
  'unknown-type': 2,
  'bad-option': 3,
  'start-late': 1,
  'http-refusal': 1,
  'invalid-utf8': 1,
  oversized: 2,
  'random-frame': 6,
  'tiny-flood': 1,
  'message-flood': 1,
  'flush-cycles': 1,
  stall: 1,
  'connect-drop': 6,
  'not-reading': 1,
}

function weightedKind(rng: Rng): CaseKind {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0)
  let r = rng() * total
  for (const kind of CASE_KINDS) {
    r -= WEIGHTS[kind]
    if (r < 0) return kind
  }
  return 'connect-drop'
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: {
      seconds: {type: 'string', default: '120'},
      seed: {type: 'string', default: '1'},
      sessions: {type: 'string', default: '4'},
      witnesses: {type: 'string', default: '1'},
      model: {type: 'string'},
      case: {type: 'string'},
      'max-frame-bytes': {type: 'string', default: '65536'},
      'idle-timeout': {type: 'string', default: '4'},
    },
  })
  const seconds = Number(values.seconds)
  const seed = Number(values.seed)
  const sessions = Number(values.sessions)
  const witnessCount = Number(values.witnesses)
  const out = (line: string): void => void process.stdout.write(`${line}\n`)
  const modelDir = values.model ?? (await miniModelDir())
  const target: FuzzTarget = {
    url: '',
    maxFrameBytes: Number(values['max-frame-bytes']),
    idleTimeoutMs: Number(values['idle-timeout']) * 1000,
    caseTimeoutMs: 30_000,
  }
  const server = await startServeChild(modelDir, [
    '--max-sessions',
    String(sessions * 2 + witnessCount + 8),
    '--max-frame-bytes',
    String(target.maxFrameBytes),
    '--idle-timeout',
    values['idle-timeout'],
  ])
  target.url = server.url
  try {
    if (values.case) {
      const [kind, caseSeed] = values.case.split(':')
      if (!(CASE_KINDS as readonly string[]).includes(kind)) throw new Error(`--case KIND:SEED, KIND one of ${CASE_KINDS.join(', ')}`)
      const result = await runCase(kind as CaseKind, Number(caseSeed), target)
      out(JSON.stringify(result, null, 2))
      return result.ok ? 0 : 1
    }
    const {baseClip} = await import('./audio.js')
    const clip = await baseClip()
    out(
      `fuzz-serve: seed ${seed}, ${seconds} s, ${sessions} fuzz clients, ${witnessCount} witness(es), model ${modelDir}, server pid ${server.pid} at ${server.url}`,
    )
    out(`witness audio: ${clip.description}`)
    const witnesses = Array.from({length: witnessCount}, () => new Witness(server.url.replace('http', 'ws'), clip.pcm))
    await Promise.all(witnesses.map((w) => w.start()))
    await sleep(2000)
    const rssStart = rssMiB(server.pid)
    let rssPeak = rssStart
    const results: CaseResult[] = []
    const started = Date.now()
    const deadline = started + seconds * 1000
    out(`     t   RSS MiB  sessions   cases  unexpected  witness finals (p50 / p95 latency ms)`)
    const report = async (): Promise<void> => {
      const rss = rssMiB(server.pid)
      rssPeak = Math.max(rssPeak, rss)
      const open = (await health(server.url).catch(() => ({sessions: Number.NaN}))).sessions
      const lat = witnesses.flatMap((w) => w.takeLatencies())
      const finals = witnesses.reduce((n, w) => n + w.messages.filter((m) => m.type === 'final').length, 0)
      out(
        `${String(Math.round((Date.now() - started) / 1000)).padStart(6)}  ${rss.toFixed(1).padStart(8)}  ${String(open).padStart(8)}  ${String(results.length).padStart(6)}  ${String(results.filter((r) => !r.ok).length).padStart(10)}  ${String(finals).padStart(7)} (${percentile(lat, 50).toFixed(0)} / ${percentile(lat, 95).toFixed(0)})`,
      )
    }
    const ticker = setInterval(() => {
      report().catch((error: unknown) => out(`report failed: ${String(error)}`))
    }, 10_000)
    const clients = Array.from({length: sessions}, async (_, i) => {
      const rng = mulberry32(seed * 7919 + i)
      for (let n = 0; n < 1_000_000 && Date.now() < deadline && server.exit === undefined; n++) {
        results.push(await runCase(weightedKind(rng), Math.floor(rng() * 2 ** 31), target))
      }
    })
    await Promise.all(clients)
    clearInterval(ticker)
    await report()
    const witnessResults = await Promise.all(witnesses.map((w) => w.stop()))
    const left = await waitForSessions(server.url, 0, 30_000)
    await sleep(1000)
    const rssEnd = rssMiB(server.pid)
    const children = childPids(server.pid)
    const died = server.exit !== undefined
    out('')
    out(`cases by kind and outcome (seed ${seed}; replay one with --case KIND:SEED):`)
    for (const line of summarize(results)) out(`  ${line}`)
    out('')
    out(
      `server log, sessions by close code: ${[...server.closes]
        .sort((a, b) => a[0] - b[0])
        .map(([c, n]) => `${c} ×${n}`)
        .join(', ')}`,
    )
    for (const [i, w] of witnessResults.entries()) {
      out(
        `witness ${i + 1}: ${w.ok ? 'ok' : 'FAILED'}, ${w.audioSeconds.toFixed(0)} s audio, ${w.finals} finals (${w.finalsBeforeEnd} during the fuzz), close ${w.closeCode}, latency p50 ${percentile(w.latencies, 50).toFixed(0)} ms, p95 ${percentile(w.latencies, 95).toFixed(0)} ms${w.ok ? '' : `: ${w.problems.join('; ')}`}`,
      )
    }
    out(
      `server RSS: ${rssStart} MiB after warm-up, peak ${rssPeak} MiB, ${rssEnd} MiB at the end; sessions left ${left}; child processes left ${children.length}; ${died ? `DIED (exit ${server.exit})` : 'alive'}`,
    )
    const unexpected = results.filter((r) => !r.ok).length
    const failed = died || unexpected > 0 || witnessResults.some((w) => !w.ok) || left !== 0
    out(failed ? 'FAILED' : 'ok')
    return failed ? 1 : 0
  } finally {
    const code = await server.stop()
    if (code !== 0) out(`serve exited with ${code} after SIGTERM`)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz-serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(2)
    },
  )
}
