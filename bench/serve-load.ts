// Load harness for `whisper-stream serve`: N concurrent WebSocket sessions, each streaming a wav at
// real-time pace, against a server in its own process. Measures final-event latency (receive time
// minus the wall time at which the audio the final ends with was sent) and the server's RSS.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {WebSocket} from 'ws'
import {openAudio} from '../src/engine/audio/open-audio.js'
import {concat} from './audio.js'

export interface ServeLoadOptions {
  modelDir: string
  /** Session counts to try, one server run each. */
  sessions: number[]
  /** Seconds of audio each session streams (the wav loops). */
  seconds: number
  wav: string
  /** Inference step of each session (default 1000 ms). */
  stepMs?: number
  /** p95 final latency, ms, under which a session count counts as held (default 2000). */
  latencyLimitMs?: number
  /** More `serve` flags (decoding, dtype, threads, concurrency). */
  serveArgs?: readonly string[]
}

export interface ServeLoadRun {
  sessions: number
  completed: number
  finals: number
  p50LatencyMs: number
  p95LatencyMs: number
  maxLatencyMs: number
  /** Server RSS, MiB: once the model is loaded and idle, and the peak during the run. */
  idleRssMiB: number
  peakRssMiB: number
  held: boolean
}

export interface ServeLoadResult {
  runs: ServeLoadRun[]
  /** The most sessions held at real-time pace with p95 final latency under the limit. */
  maxHeldSessions: number
  latencyLimitMs: number
}

const RATE = 16_000
const FRAME = 1600

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  return dir
}

async function decode(wav: string): Promise<Float32Array> {
  const parts: Float32Array[] = []
  for await (const chunk of openAudio({input: wav})) parts.push(chunk.slice())
  return concat(parts)
}

async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return Math.round((kb / 1024) * 10) / 10
  } catch {
    return 0
  }
}

async function startServer(modelDir: string, sessions: number, serveArgs: readonly string[]): Promise<{child: ChildProcess; url: string}> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot(), 'bin', 'run.js'),
      'serve',
      '--model',
      modelDir,
      '--port',
      '0',
      '--max-sessions',
      String(sessions + 1),
      ...serveArgs,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let text = ''
    const onData = (data: Buffer): void => {
      text += data.toString()
      const match = /listening on (http:\/\/\S+)/.exec(text)
      if (match) {
        child.stderr!.off('data', onData)
        if (process.env['SERVE_LOAD_LOG']) child.stderr!.pipe(process.stderr)
        else child.stderr!.resume()
        resolve(match[1]!)
      }
    }
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text.trim()}`)))
  })
  return {child, url}
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** One session: streams `seconds` of `pcm` in 100 ms frames at real-time pace; returns final latencies. */
async function session(
  url: string,
  pcm: Float32Array,
  seconds: number,
  stepMs: number,
  delayMs: number,
): Promise<{latencies: number[]; done: boolean}> {
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream?step_ms=${stepMs}&partials=false`)
  const latencies: number[] = []
  let start = 0
  let done = false
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as {type: string; end?: number}
    if (message.type === 'final') latencies.push(performance.now() - (start + message.end! * 1000))
    if (message.type === 'done') done = true
  })
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()))
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const total = Math.round(seconds * RATE)
  start = performance.now()
  for (let sent = 0; sent < total && ws.readyState === ws.OPEN; sent += FRAME) {
    const frame = new Float32Array(FRAME)
    for (let i = 0; i < FRAME; i++) frame[i] = pcm[(sent + i) % pcm.length]!
    ws.send(Buffer.from(frame.buffer))
    const wait = start + ((sent + FRAME) / RATE) * 1000 - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({type: 'end'}))
  await closed
  return {latencies, done}
}

export async function runServeLoad(options: ServeLoadOptions): Promise<ServeLoadResult> {
  const pcm = await decode(options.wav)
  const limit = options.latencyLimitMs ?? 2000
  const runs: ServeLoadRun[] = []
  for (const count of options.sessions) {
    const {child, url} = await startServer(options.modelDir, count, options.serveArgs ?? [])
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
      const idleRssMiB = await rssMiB(child.pid!)
      let peakRssMiB = idleRssMiB
      const sampler = setInterval(() => {
        // A sample the process no longer answers is skipped; the peak comes from the others.
        rssMiB(child.pid!).then(
          (v) => (peakRssMiB = Math.max(peakRssMiB, v)),
          () => undefined,
        )
      }, 250)
      const results = await Promise.all(
        Array.from({length: count}, (_, i) => session(url, pcm, options.seconds, options.stepMs ?? 1000, (i * 1000) / count)),
      )
      clearInterval(sampler)
      const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b)
      const run: ServeLoadRun = {
        sessions: count,
        completed: results.filter((r) => r.done).length,
        finals: latencies.length,
        p50LatencyMs: Math.round(percentile(latencies, 50)),
        p95LatencyMs: Math.round(percentile(latencies, 95)),
        maxLatencyMs: Math.round(latencies.at(-1) ?? Number.NaN),
        idleRssMiB,
        peakRssMiB,
        held: false,
      }
      run.held = run.completed === count && run.finals > 0 && run.p95LatencyMs <= limit
      runs.push(run)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    // Counts are tried in increasing order until one no longer holds.
    if (!runs.at(-1)!.held) break
  }
  const maxHeldSessions = Math.max(0, ...runs.filter((r) => r.held).map((r) => r.sessions))
  return {runs, maxHeldSessions, latencyLimitMs: limit}
}

// `node --import tsx bench/serve-load.ts MODEL_DIR WAV SECONDS N1,N2,… [SERVE FLAGS…]` prints the results as JSON.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [modelDir, wav, seconds = '20', counts = '1,5,10,20', ...serveArgs] = process.argv.slice(2)
  if (!modelDir || !wav) {
    process.stderr.write('usage: serve-load.ts MODEL_DIR WAV [SECONDS] [N1,N2,…]\n')
    process.exit(2)
  }
  const result = await runServeLoad({modelDir, wav, seconds: Number(seconds), sessions: counts.split(',').map(Number), serveArgs})
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
