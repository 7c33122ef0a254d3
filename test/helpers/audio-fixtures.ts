// Audio fixtures for the whole test suite: speech from espeak-ng, and the same content in many containers.
// Everything is cached under <repo>/.cache/fixtures/, keyed by a hash of the arguments, and written
// atomically (temp file + rename) because vitest runs several workers at once.
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import {openAudio} from '../../src/engine/audio/open-audio.js'
import {encodeWav} from '../../src/engine/audio/wav.js'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const fixturesDir = join(repoRoot, '.cache', 'fixtures')

/** Bump when the recipes change, so stale cached files are not reused. */
const RECIPE_VERSION = 2
const RATE = 16_000

export type FixtureKind =
  'mp3' | 'ogg' | 'mp4-video' | 'video-no-audio' | 'wav-44k-stereo' | 'wav-8k' | 'garbage' | 'empty' | 'truncated-mp3'

const extensions: Record<FixtureKind, string> = {
  mp3: 'mp3',
  ogg: 'ogg',
  'mp4-video': 'mp4',
  'video-no-audio': 'mp4',
  'wav-44k-stereo': 'wav',
  'wav-8k': 'wav',
  garbage: 'bin',
  empty: 'wav',
  'truncated-mp3': 'mp3',
}

const ffmpegArgs = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y']

/** Returns the cached file for `key`, making it with `make(tmpPath)` first if needed. */
async function cached(key: unknown[], ext: string, make: (tmp: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha256')
    .update(JSON.stringify([RECIPE_VERSION, ...key]))
    .digest('hex')
    .slice(0, 20)
  const name = `${String(key[0])}-${hash}.${ext}`.replace(/[^\w.-]/g, '_')
  const path = join(fixturesDir, name)
  if (existsSync(path)) return path
  await mkdir(fixturesDir, {recursive: true})
  // The temp name keeps the extension: ffmpeg picks the container from it.
  const tmp = join(fixturesDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}-${name}`)
  try {
    await make(tmp)
    await rename(tmp, path)
  } finally {
    await rm(tmp, {force: true})
  }
  return path
}

/** `text` spoken by espeak-ng, as a 16 kHz mono 16-bit wav. */
export function speech(text: string, options: {voice?: string; rate?: number} = {}): Promise<string> {
  const voice = options.voice ?? 'en-us'
  const rate = options.rate ?? 160
  return cached(['speech', text, voice, rate], 'wav', async (tmp) => {
    const raw = `${tmp}.espeak.wav`
    try {
      await execa('espeak-ng', ['-v', voice, '-s', String(rate), '-w', raw, text])
      await execa('ffmpeg', [...ffmpegArgs, '-i', raw, '-ac', '1', '-ar', String(RATE), '-c:a', 'pcm_s16le', tmp])
    } finally {
      await rm(raw, {force: true})
    }
  })
}

/** The sentences spoken one after the other with `pauseSeconds` of digital silence between them (and none around). */
export function speechWithPauses(sentences: string[], pauseSeconds: number): Promise<string> {
  return cached(['speech-pauses', sentences, pauseSeconds], 'wav', async (tmp) => {
    const parts = await Promise.all(sentences.map(async (sentence) => readPcm(await speech(sentence))))
    const pause = Math.round(pauseSeconds * RATE)
    const total = parts.reduce((sum, part) => sum + part.length, 0) + pause * Math.max(0, parts.length - 1)
    const out = new Float32Array(total)
    let offset = 0
    for (const [i, part] of parts.entries()) {
      if (i > 0) offset += pause
      out.set(part, offset)
      offset += part.length
    }
    await writeFile(tmp, encodeWav(out, RATE))
  })
}

/** A 16 kHz mono wav of a sine (the default content of fixture()). */
export function sine(frequency = 440, seconds = 2): Promise<string> {
  return cached(['sine', frequency, seconds], 'wav', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=${RATE}:duration=${seconds}`, '-c:a', 'pcm_s16le', tmp]),
  )
}

/**
 * `source` (default: a 2 s 440 Hz sine at 16 kHz) in another container/format, or a broken file.
 * 'mp4-video' carries a small video track beside the audio; 'video-no-audio' is video only.
 */
export async function fixture(kind: FixtureKind, source?: string): Promise<string> {
  const needsSource = !['garbage', 'empty', 'video-no-audio'].includes(kind)
  const input = needsSource ? (source ?? (await sine())) : undefined
  const ext = extensions[kind]
  return cached([kind, input ?? ''], ext, async (tmp) => {
    switch (kind) {
      case 'mp3':
        return ffmpeg(['-i', input!, '-c:a', 'libmp3lame', '-b:a', '64k', tmp])
      case 'ogg':
        return ffmpeg(['-i', input!, '-c:a', 'libvorbis', '-q:a', '4', tmp])
      case 'mp4-video':
        return ffmpeg([
          '-i',
          input!,
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x120:rate=10',
          '-map',
          '1:v',
          '-map',
          '0:a',
          '-shortest',
          // AAC at 48 kHz as in real videos; at 16 kHz ffmpeg 5.1 decodes 48 ms of end padding (1024-sample frames).
          '-c:v',
          'mpeg4',
          '-c:a',
          'aac',
          '-ar',
          '48000',
          '-b:a',
          '96k',
          tmp,
        ])
      case 'video-no-audio':
        return ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-c:v', 'mpeg4', tmp])
      case 'wav-44k-stereo':
        return ffmpeg(['-i', input!, '-ac', '2', '-ar', '44100', '-c:a', 'pcm_s16le', tmp])
      case 'wav-8k':
        return ffmpeg(['-i', input!, '-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le', tmp])
      case 'garbage':
        // Text bytes: no container or codec probes them as audio (random bytes sometimes look like MP3 frames).
        return writeFile(tmp, Buffer.from('this is not audio, just some text bytes.\n'.repeat(1000)))
      case 'empty':
        return writeFile(tmp, Buffer.alloc(0))
      case 'truncated-mp3': {
        const whole = await readFile(await fixture('mp3', input))
        // Cut mid-frame at an odd byte: the decoder must give what it can and stop.
        return writeFile(tmp, whole.subarray(0, Math.floor(whole.length * 0.6) | 1))
      }
    }
  })
}

/** The whole file decoded to 16 kHz mono float32 (via the project's own decoder). Small files only. */
export async function readPcm(path: string): Promise<Float32Array> {
  const parts: Float32Array[] = []
  let total = 0
  for await (const chunk of openAudio({input: path, chunkSamples: RATE})) {
    parts.push(chunk.slice())
    total += chunk.length
  }
  const out = new Float32Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

async function ffmpeg(args: string[]): Promise<void> {
  await execa('ffmpeg', [...ffmpegArgs, ...args])
}
