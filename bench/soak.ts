// Soak harness: streams N minutes of generated audio through Engine.openStream (no VAD, 1 s steps, files'
// backpressure, so every step sees one step of new audio) and prints, per minute of audio, memory and
// step latency. Rerun with:
//   node --import tsx bench/soak.ts --minutes 10 --model .cache/test-models/mini-v1 [--step 1000] [--seed 1]
// Flat RSS/heap columns mean no leak; a p95 that climbs means the window or the prompt grows.
import {parseArgs} from 'node:util'
import {Engine, feedStreamer} from '../src/engine/engine.js'

const RATE = 16_000
const CHUNK = 3_200 // 200 ms, what openAudio delivers

const {values} = parseArgs({
  options: {
    minutes: {type: 'string', default: '10'},
    model: {type: 'string'},
    step: {type: 'string', default: '1000'},
    seed: {type: 'string', default: '1'},
  },
})
if (!values.model) {
  process.stderr.write('usage: node --import tsx bench/soak.ts --minutes N --model DIR [--step MS] [--seed N]\n')
  process.exit(2)
}
const minutes = Number(values.minutes)
const stepMs = Number(values.step)
const seed = Number(values.seed)

/** Seeded "speech-like" audio: a few drifting tones under noise, in 0.3–2 s bursts with pauses; O(1) memory. */
async function* generated(totalSamples: number): AsyncGenerator<Float32Array> {
  const chunk = new Float32Array(CHUNK)
  let state = seed >>> 0
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
  let burstLeft = 0
  let on = false
  let f1 = 200
  let f2 = 900
  let phase1 = 0
  let phase2 = 0
  for (let offset = 0; offset < totalSamples; offset += CHUNK) {
    const n = Math.min(CHUNK, totalSamples - offset)
    for (let i = 0; i < n; i++) {
      if (burstLeft-- <= 0) {
        on = !on
        burstLeft = Math.floor((on ? 0.3 + random() * 1.7 : 0.1 + random() * 0.6) * RATE)
        f1 = 120 + random() * 200
        f2 = 600 + random() * 1600
      }
      phase1 += (2 * Math.PI * f1) / RATE
      phase2 += (2 * Math.PI * f2) / RATE
      const voice = on ? 0.25 * Math.sin(phase1) + 0.1 * Math.sin(phase2) : 0
      chunk[i] = voice + (random() * 2 - 1) * 0.01
    }
    yield n === CHUNK ? chunk : chunk.subarray(0, n)
  }
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '-')

const engine = await Engine.load(values.model)
const streamer = await engine.openStream({stepMs, vad: false, stats: true, noPartials: true, decoding: {temperatures: [0]}})
let finals = 0
let latencies: number[] = []
let audioSamples = 0
let minute = 0
const started = performance.now()
const header = ['minute', 'steps', 'p50 ms', 'p95 ms', 'max ms', 'RSS MB', 'heap MB', 'finals', 'wall s']
const rows: string[][] = []
const printRow = (row: string[]): void =>
  void process.stdout.write(`${row.map((cell, i) => cell.padStart(header[i]!.length + 2)).join('')}\n`)
printRow(header)
const closeMinute = (): void => {
  minute++
  const sorted = latencies.sort((a, b) => a - b)
  const memory = process.memoryUsage()
  const row = [
    String(minute),
    String(sorted.length),
    ms(quantile(sorted, 0.5)),
    ms(quantile(sorted, 0.95)),
    ms(sorted.at(-1) ?? NaN),
    mb(memory.rss),
    mb(memory.heapUsed),
    String(finals),
    ((performance.now() - started) / 1000).toFixed(0),
  ]
  rows.push(row)
  printRow(row)
  latencies = []
}
streamer.on('stats', (event) => latencies.push(event.stepMs))
streamer.on('final', () => finals++)

async function* counted(source: AsyncIterable<Float32Array>): AsyncGenerator<Float32Array> {
  for await (const chunk of source) {
    yield chunk
    audioSamples += chunk.length
    if (audioSamples >= (minute + 1) * 60 * RATE) closeMinute()
  }
}

await feedStreamer(streamer, counted(generated(Math.round(minutes * 60 * RATE))), {backpressure: true})
if (latencies.length > 0) closeMinute()
const first = rows[0]
const last = rows.at(-1)
if (first && last) {
  process.stdout.write(
    `\n${minutes} min of audio (seed ${seed}, step ${stepMs} ms) in ${last[8]} s; ${finals} finals; RSS ${first[5]} → ${last[5]} MB, heap ${first[6]} → ${last[6]} MB\n`,
  )
}
await engine.release()
