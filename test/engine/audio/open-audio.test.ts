import {createReadStream} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {openAudio} from '../../../src/engine/audio/open-audio.js'
import {fixture, readPcm, sine, type FixtureKind} from '../../helpers/audio-fixtures.js'

const RATE = 16_000

/** Frequency estimated from zero crossings (rising edges) of the middle of the signal. */
function dominantFrequency(pcm: Float32Array): number {
  const from = Math.floor(pcm.length * 0.1)
  const to = Math.floor(pcm.length * 0.9)
  let rising = 0
  for (let i = from + 1; i < to; i++) if (pcm[i - 1] < 0 && pcm[i] >= 0) rising++
  return rising / ((to - from) / RATE)
}

/** Goertzel power of one frequency, normalised by length. */
function goertzel(pcm: Float32Array, frequency: number): number {
  const k = 2 * Math.cos((2 * Math.PI * frequency) / RATE)
  let s1 = 0
  let s2 = 0
  for (const x of pcm) {
    const s = x + k * s1 - s2
    s2 = s1
    s1 = s
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / pcm.length
}

function expectSine440(pcm: Float32Array, seconds: number): void {
  expect(Math.abs(pcm.length / RATE - seconds)).toBeLessThanOrEqual(0.02)
  expect(Math.abs(dominantFrequency(pcm) - 440)).toBeLessThan(440 * 0.01)
  expect(goertzel(pcm, 440)).toBeGreaterThan(100 * goertzel(pcm, 1000))
}

describe('openAudio decodes to 16 kHz mono float32', () => {
  it('wav', async () => {
    expectSine440(await readPcm(await sine(440, 2)), 2)
  })

  for (const kind of ['mp3', 'ogg', 'mp4-video', 'wav-44k-stereo', 'wav-8k'] as FixtureKind[]) {
    it(kind, async () => {
      expectSine440(await readPcm(await fixture(kind)), 2)
    })
  }

  it('a truncated mp3 gives what it can and ends without error', async () => {
    const pcm = await readPcm(await fixture('truncated-mp3'))
    expect(pcm.length / RATE).toBeGreaterThan(0.8)
    expect(pcm.length / RATE).toBeLessThan(1.8)
  })

  it('stdin (a byte stream)', async () => {
    const audio = openAudio({input: createReadStream(await fixture('ogg'))})
    const parts: Float32Array[] = []
    for await (const chunk of audio) parts.push(chunk.slice())
    const pcm = Float32Array.from(parts.flatMap((p) => Array.from(p)))
    expectSine440(pcm, 2)
    await expect(audio.done).resolves.toEqual({reason: 'eof', samples: 32_000})
  })

  it('mp3 on stdin (unseekable: ffmpeg keeps the ~19 ms of encoder end padding)', async () => {
    const audio = openAudio({input: createReadStream(await fixture('mp3'))})
    for await (const _ of audio) {
      // drain
    }
    const {samples} = await audio.done
    expect(Math.abs(samples / RATE - 2)).toBeLessThanOrEqual(0.04)
  })

  it('lavfi input (how `mic` is tested without a sound card)', async () => {
    const audio = openAudio({input: 'sine=frequency=440:duration=2', inputFormat: 'lavfi'})
    const parts: Float32Array[] = []
    for await (const chunk of audio) parts.push(chunk.slice())
    expectSine440(Float32Array.from(parts.flatMap((p) => Array.from(p))), 2)
  })

  it('chunks are exactly chunkSamples, except a shorter last one, in one reused buffer', async () => {
    const path = await sine(440, 2)
    for (const [chunkSamples, expected] of [
      [1000, Array(32).fill(1000)],
      [3000, [...Array(10).fill(3000), 2000]],
    ] as const) {
      const sizes: number[] = []
      const buffers = new Set<ArrayBufferLike>()
      const audio = openAudio({input: path, chunkSamples})
      for await (const chunk of audio) {
        sizes.push(chunk.length)
        buffers.add(chunk.buffer)
      }
      expect(sizes).toEqual(expected)
      expect(buffers.size).toBe(1)
      expect(audio.samples).toBe(32_000)
    }
  })

  it('realtime pacing takes about real time', async () => {
    const started = performance.now()
    const audio = openAudio({input: 'sine=frequency=440:duration=1', inputFormat: 'lavfi', realtime: true})
    let samples = 0
    for await (const chunk of audio) samples += chunk.length
    expect(samples).toBe(RATE)
    expect(performance.now() - started).toBeGreaterThanOrEqual(800)
  })
})
