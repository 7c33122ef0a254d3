import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Hypothesis} from '../../../src/engine/stream/asr-backend.js'
import {SileroVad} from '../../../src/engine/stream/silero-vad.js'
import {Streamer} from '../../../src/engine/stream/streamer.js'

const SR = 16_000
const SPEECH = [
  'the quick brown fox jumps over the lazy dog',
  'streaming speech recognition with whisper',
  'one more sentence to finish the test',
]
const SILENCE_S = [1.5, 2, 2.5, 1.5]

/** espeak-ng speech, resampled by sox to 16 kHz mono float, between stretches of silence. */
function speechAudio(dir: string): {audio: Float32Array; stretches: Array<[number, number]>} {
  const parts: Float32Array[] = []
  const stretches: Array<[number, number]> = []
  let at = 0
  const silence = (seconds: number): void => {
    parts.push(new Float32Array(Math.round(seconds * SR)))
    at += Math.round(seconds * SR)
  }
  silence(SILENCE_S[0])
  SPEECH.forEach((text, i) => {
    const wav = join(dir, `s${i}.wav`)
    const raw = join(dir, `s${i}.f32`)
    execFileSync('espeak-ng', ['-w', wav, text])
    execFileSync('sox', [wav, '-r', String(SR), '-c', '1', '-b', '32', '-e', 'floating-point', '-t', 'raw', raw])
    const bytes = readFileSync(raw)
    const samples = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    parts.push(samples)
    stretches.push([at, at + samples.length])
    at += samples.length
    silence(SILENCE_S[i + 1])
  })
  const audio = new Float32Array(at)
  let offset = 0
  for (const p of parts) {
    audio.set(p, offset)
    offset += p.length
  }
  return {audio, stretches}
}

describe('SileroVad on real speech', () => {
  let dir: string
  let audio: Float32Array
  let stretches: Array<[number, number]>
  let vad: SileroVad

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'silero-'))
    ;({audio, stretches} = speechAudio(dir))
    vad = await SileroVad.create()
  })
  afterAll(async () => {
    await vad?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('gives high probability in speech and low in silence (v5 and v4 weights)', async () => {
    const legacy = await SileroVad.create({version: 'v4'})
    for (const detector of [vad.fork(), legacy]) {
      const inSpeech: number[] = []
      const inSilence: number[] = []
      for (let at = 0; at + 512 <= audio.length; at += 512) {
        const p = await detector.process(audio.subarray(at, at + 512))
        const mid = at + 256
        const speech = stretches.some(([s, e]) => mid >= s + 3200 && mid < e - 3200)
        const silence = stretches.every(([s, e]) => mid < s - 4800 || mid >= e + 8000)
        if (speech) inSpeech.push(p)
        if (silence) inSilence.push(p)
      }
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
      expect(mean(inSpeech)).toBeGreaterThan(0.7)
      expect(Math.max(...inSilence)).toBeLessThan(0.2)
    }
    await legacy.close()
  })

  it('behind a Streamer: no backend call in silence, one utterance finalized per speech stretch', async () => {
    const calls: Array<[number, number]> = []
    let streamer: Streamer | undefined
    // A stand-in backend: one word per window, located by the ring buffer's start.
    const backend = {
      sampleRate: SR,
      maxSamples: 30 * SR,
      async transcribe(window: Float32Array): Promise<Hypothesis> {
        const start = streamer!.buffer.startSample
        calls.push([start, start + window.length])
        const end = Math.max(1, window.length - SR / 2)
        return {
          words: [{text: ` u${stretches.findIndex(([s, e]) => start < e && start + window.length > s)}`, start: 0, end, tokens: [1]}],
          segmentEnds: [],
          truncated: false,
        }
      },
    }
    streamer = new Streamer(backend, {stepMs: 1000}, vad.fork())
    const finals: string[] = []
    streamer.on('final', (e) => finals.push(e.text))
    for (let at = 0; at < audio.length; at += 1600) {
      streamer.push(audio.subarray(at, Math.min(audio.length, at + 1600)))
      await streamer.drain()
    }
    await streamer.flush()
    expect(calls.length).toBeGreaterThan(0)
    for (const [s, e] of calls) expect(stretches.some(([a, b]) => s < b && e > a)).toBe(true)
    // Every window lies within one speech stretch (plus padding and the closing silence).
    for (const [s, e] of calls) expect(stretches.filter(([a, b]) => s < b + SR && e > a - SR)).toHaveLength(1)
    expect(finals).toEqual(['u0', 'u1', 'u2'])
  })
})
