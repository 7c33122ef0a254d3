// Held-out synthetic speech for the trained model: the trainer's words spoken one by one by espeak-ng
// (same voices and the held-out speed/pitch variant, from the committed manifest), joined with seeded
// gaps and pauses, so every word's start and end is known exactly.
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {WhisperStreamError} from '../src/engine/errors.js'
import {roundSeconds} from '../src/engine/events.js'
import {cacheDir, findRepoRoot} from './paths.js'

const run = promisify(execFile)
const SAMPLE_RATE = 16_000

export interface TrainedManifest {
  words: string[]
  voices: string[]
  variants: Array<{wordsPerMinute: number; pitch: number}>
  heldOutVariant: number
}

export interface SpokenWord {
  word: string
  /** Seconds from the start of the audio. */
  start: number
  end: number
}

export interface SyntheticSpeech {
  pcm: Float32Array
  words: SpokenWord[]
  description: string
}

export interface SpeechSpec {
  /** Length of the audio; the last utterance ends before it. */
  seconds: number
  seed: number
  /** Words per utterance, inclusive (default 1-12). */
  wordsPerUtterance?: [number, number]
  /** Pause between utterances: mostly 0.5-1.5 s, sometimes 1.5-4 s, now and then 4-10 s (VAD resets, window slides). */
  longPauses?: boolean
}

/** The trained model's manifest (words, voices, variants); it lives in a clone of the repository, not in the package. */
export function trainedManifest(file = 'trained-mini.json'): TrainedManifest {
  const where = path.join(findRepoRoot(), 'models', 'trained', file)
  if (!existsSync(where))
    throw new WhisperStreamError('usage', `held-out synthetic speech needs ${where}`, {
      hint: 'run the quality scenario from a clone of the repository',
    })
  return JSON.parse(readFileSync(where, 'utf8')) as TrainedManifest
}

/** mulberry32 (the engine's seeded generator, which the published package has, unlike the model generator). */
export {seededRandom} from '../src/engine/decode/sampling.js'
import {seededRandom} from '../src/engine/decode/sampling.js'

/** Each word of the manifest spoken in one voice and variant, trimmed to its sound (as the trainer does). */
async function wordClips(manifest: TrainedManifest, voice: number, variant: number): Promise<Float32Array[]> {
  const {wordsPerMinute, pitch} = manifest.variants[variant]!
  const name = manifest.voices[voice]!
  const key = createHash('sha256')
    .update(JSON.stringify([1, manifest.words, name, wordsPerMinute, pitch]))
    .digest('hex')
    .slice(0, 16)
  const dir = cacheDir('synthetic-speech')
  const file = path.join(dir, `words-${key}.json`)
  if (existsSync(file)) return (JSON.parse(await readFile(file, 'utf8')) as number[][]).map((w) => Float32Array.from(w))
  const clips: Float32Array[] = []
  for (const word of manifest.words) {
    const {stdout: wav} = await run('espeak-ng', ['-v', name, '-s', String(wordsPerMinute), '-p', String(pitch), '--stdout', word], {
      encoding: 'buffer',
      maxBuffer: 16 * 1024 * 1024,
    })
    const raw = await sox(wav)
    const audio = new Float32Array(raw.length / 2)
    for (let i = 0; i < audio.length; i++) audio[i] = raw.readInt16LE(2 * i) / 32768
    clips.push(trim(audio))
  }
  await mkdir(dir, {recursive: true})
  const tmp = `${file}.tmp-${process.pid}`
  // Returned as the cache holds them, so a first run (no cache yet, as in CI) hears exactly what every
  // later run reads back: the rounding moves samples by up to 1/32767, enough to turn a borderline decode.
  const stored = clips.map((c) => Array.from(c, (x) => Math.round(x * 32767) / 32767))
  await writeFile(tmp, JSON.stringify(stored))
  await rename(tmp, file)
  return stored.map((w) => Float32Array.from(w))
}

function sox(wav: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'sox',
      ['-t', 'wav', '-', '-t', 'raw', '-r', String(SAMPLE_RATE), '-e', 'signed', '-b', '16', '-c', '1', '-'],
      {encoding: 'buffer', maxBuffer: 16 * 1024 * 1024},
      (error: Error | null, stdout: Buffer) => (error ? reject(error) : resolve(stdout)),
    )
    child.stdin?.end(wav)
  })
}

/** From 10 ms before the first to 10 ms after the last sample above 2 % of the peak. */
function trim(audio: Float32Array): Float32Array {
  let peak = 0
  for (const x of audio) peak = Math.max(peak, Math.abs(x))
  let first = 0
  while (first < audio.length && Math.abs(audio[first]!) <= 0.02 * peak) first++
  let last = audio.length - 1
  while (last > first && Math.abs(audio[last]!) <= 0.02 * peak) last--
  const margin = 0.01 * SAMPLE_RATE
  return audio.slice(Math.max(0, first - margin), last + margin)
}

/** Seeded utterances in the held-out variant, every voice; 0.05-0.4 s between words. */
export async function syntheticSpeech(spec: SpeechSpec, manifest = trainedManifest()): Promise<SyntheticSpeech> {
  const variant = manifest.heldOutVariant
  const voices = await Promise.all(manifest.voices.map((_, v) => wordClips(manifest, v, variant)))
  const rand = seededRandom(spec.seed)
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rand()
  const [minWords, maxWords] = spec.wordsPerUtterance ?? [1, 12]
  const pcm = new Float32Array(Math.round(spec.seconds * SAMPLE_RATE))
  const words: SpokenWord[] = []
  let t = uniform(0.3, 1)
  for (;;) {
    const clips = voices[Math.floor(rand() * voices.length)]!
    const gain = uniform(0.5, 1)
    const count = minWords + Math.floor(rand() * (maxWords - minWords + 1))
    const utterance: Array<{index: number; at: number}> = []
    let end = t
    for (let i = 0; i < count; i++) {
      const index = Math.floor(rand() * manifest.words.length)
      const at = i === 0 ? t : end + uniform(0.05, 0.4)
      utterance.push({index, at})
      end = at + clips[index]!.length / SAMPLE_RATE
    }
    if (end > spec.seconds - 0.2) break
    for (const {index, at} of utterance) {
      const clip = clips[index]!
      const offset = Math.round(at * SAMPLE_RATE)
      for (let i = 0; i < clip.length; i++) pcm[offset + i] = pcm[offset + i]! + clip[i]! * gain
      words.push({word: manifest.words[index]!, start: roundSeconds(at), end: roundSeconds((offset + clip.length) / SAMPLE_RATE)})
    }
    const p = rand()
    t = end + (!spec.longPauses || p < 0.6 ? uniform(0.5, 1.5) : p < 0.9 ? uniform(1.5, 4) : uniform(4, 10))
  }
  const variantInfo = manifest.variants[variant]!
  return {
    pcm,
    words,
    description:
      `synthetic speech: ${words.length} words in ${spec.seconds} s, espeak-ng ${manifest.voices.join(', ')} at ` +
      `${variantInfo.wordsPerMinute} wpm, pitch ${variantInfo.pitch} (the held-out variant), seed ${spec.seed}`,
  }
}
