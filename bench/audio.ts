// Benchmark audio: sentences spoken by espeak-ng with pauses between them, looped to any length.
// Only one short clip is ever held in memory; long streams are produced chunk by chunk.
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {cacheDir} from './paths.js'

const run = promisify(execFile)
export const SAMPLE_RATE = 16_000

export const SENTENCES = [
  'Streaming speech recognition turns audio into text while people are still talking.',
  'The quick brown fox jumps over the lazy dog.',
  'Every step of the stream sees one more second of sound.',
  'A fixed window keeps the memory flat, however long the meeting runs.',
  'Numbers like twenty three and four hundred are spelled out by the speaker.',
  'The weather tomorrow will be cloudy with a chance of rain in the afternoon.',
  'Please remember to commit your changes before the end of the day.',
  'She sells sea shells by the sea shore, and the shells she sells are surely sea shells.',
]
const PAUSE_SECONDS = 0.6

export interface Clip {
  pcm: Float32Array
  /** 'espeak-ng' speech, or 'synthetic' (formant-like tones with pauses) when espeak-ng or ffmpeg is missing. */
  source: 'espeak-ng' | 'synthetic'
  description: string
}

let clip: Promise<Clip> | undefined

/** The base clip (about 40 s), cached under .cache/bench-audio/. */
export function baseClip(): Promise<Clip> {
  clip ??= makeClip()
  return clip
}

async function makeClip(): Promise<Clip> {
  try {
    const pcm = await espeakClip()
    return {
      pcm,
      source: 'espeak-ng',
      description: `espeak-ng en-us, ${SENTENCES.length} sentences with ${PAUSE_SECONDS} s pauses (${(pcm.length / SAMPLE_RATE).toFixed(1)} s), looped`,
    }
  } catch (error) {
    const pcm = syntheticClip()
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {pcm, source: 'synthetic', description: `synthetic tone bursts with pauses (espeak-ng/ffmpeg unavailable: ${why}), looped`}
  }
}

async function espeakClip(): Promise<Float32Array> {
  const key = createHash('sha256')
    .update(JSON.stringify([1, SENTENCES, PAUSE_SECONDS]))
    .digest('hex')
    .slice(0, 16)
  const dir = cacheDir('bench-audio')
  const file = path.join(dir, `speech-${key}.f32`)
  if (existsSync(file)) return toFloat32(await readFile(file))
  await mkdir(dir, {recursive: true})
  const pause = new Float32Array(Math.round(PAUSE_SECONDS * SAMPLE_RATE))
  const parts: Float32Array[] = []
  for (const sentence of SENTENCES) {
    const wav = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}.wav`)
    try {
      await run('espeak-ng', ['-v', 'en-us', '-s', '160', '-w', wav, sentence])
      const {stdout} = await run(
        'ffmpeg',
        ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', wav, '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 'f32le', '-'],
        {
          encoding: 'buffer',
          maxBuffer: 64 * 1024 * 1024,
        },
      )
      parts.push(toFloat32(stdout), pause)
    } finally {
      await rm(wav, {force: true})
    }
  }
  const pcm = concat(parts)
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength))
  await rename(tmp, file)
  return pcm
}

/** Tone bursts of 1-3 s (a harmonic stack with a moving pitch) separated by pauses: not speech, but not silence either. */
function syntheticClip(): Float32Array {
  const parts: Float32Array[] = []
  let state = 12345
  const rand = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
  for (let i = 0; i < 16; i++) {
    const seconds = 1 + rand() * 2
    const burst = new Float32Array(Math.round(seconds * SAMPLE_RATE))
    const f0 = 100 + rand() * 120
    let phase = 0
    for (let n = 0; n < burst.length; n++) {
      const t = n / SAMPLE_RATE
      phase += (2 * Math.PI * f0 * (1 + 0.1 * Math.sin(2 * Math.PI * 3 * t))) / SAMPLE_RATE
      let v = 0
      for (let h = 1; h <= 8; h++) v += Math.sin(h * phase) / h
      burst[n] = 0.15 * v * Math.min(1, t * 20, (seconds - t) * 20)
    }
    parts.push(burst, new Float32Array(Math.round(PAUSE_SECONDS * SAMPLE_RATE)))
  }
  return concat(parts)
}

/** `seconds` of the clip, looped, as one array (for file-sized inputs). */
export function loopTo(pcm: Float32Array, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE))
  for (let offset = 0; offset < out.length; offset += pcm.length)
    out.set(pcm.subarray(0, Math.min(pcm.length, out.length - offset)), offset)
  return out
}

/**
 * `seconds` of the clip, looped, in chunks of `chunkSamples` (one reused buffer, like openAudio).
 * Nothing proportional to the length is allocated, so memory measurements see only the engine.
 */
export async function* loopedChunks(pcm: Float32Array, seconds: number, chunkSamples = 3_200): AsyncGenerator<Float32Array> {
  const total = Math.round(seconds * SAMPLE_RATE)
  const chunk = new Float32Array(chunkSamples)
  for (let done = 0; done < total;) {
    const size = Math.min(chunkSamples, total - done)
    for (let i = 0; i < size; i++) chunk[i] = pcm[(done + i) % pcm.length]!
    done += size
    yield size === chunkSamples ? chunk : chunk.subarray(0, size)
  }
}

const toFloat32 = (buffer: Buffer): Float32Array => {
  const copy = new Float32Array(Math.floor(buffer.byteLength / 4))
  new Uint8Array(copy.buffer).set(buffer.subarray(0, copy.length * 4))
  return copy
}

/** The parts joined end to end in one new array. */
export const concat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
