import {afterAll, describe, expect, it} from 'vitest'

import {LogMel} from '../../../src/engine/features/log-mel.js'
import {maxAbsDiff, referenceLogMel, sineSweep, speechLike, whisperConfig, whiteNoise} from './reference.js'

const SAMPLES = 480000
const TOLERANCE = 1e-4

const signals: Array<[string, () => Float32Array]> = [
  ['a 30 s sine sweep', () => sineSweep(SAMPLES)],
  ['30 s of seeded white noise', () => whiteNoise(SAMPLES, 42)],
  ['30 s of silence', () => new Float32Array(SAMPLES)],
  ['empty audio', () => new Float32Array(0)],
  ['a 2 s clip (padded)', () => speechLike(2 * 16000, 7)],
  ['a 30 s clip', () => speechLike(SAMPLES, 11)],
  ['a 35 s clip (cut to 30 s)', () => speechLike(35 * 16000, 13)],
  ['a clip ending 150 samples before 30 s (reflect pad reaches audio)', () => whiteNoise(SAMPLES - 150, 5, 0.1)],
  ['a quiet clip of 1234 samples', () => whiteNoise(1234, 9, 1e-4)],
]

const observed: string[] = []
afterAll(() => console.log(`max abs diff vs transformers.js:\n  ${observed.join('\n  ')}`))

for (const bins of [80, 128] as const) {
  describe(`LogMel with ${bins} mel bins`, () => {
    const logMel = new LogMel(whisperConfig(bins))

    it('has the encoder input shape', () => {
      expect(logMel.nMels).toBe(bins)
      expect(logMel.nFrames).toBe(3000)
      expect(logMel.compute(new Float32Array(100))).toHaveLength(bins * 3000)
    })

    for (const [name, make] of signals) {
      it(`matches WhisperFeatureExtractor on ${name}`, async () => {
        const audio = make()
        const want = await referenceLogMel(bins, audio)
        const diff = maxAbsDiff(logMel.compute(audio), want)
        observed.push(`${bins} bins, ${name}: ${diff.toExponential(2)}`)
        expect(diff).toBeLessThanOrEqual(TOLERANCE)
      })
    }

    it('honours length: compute(buf, n) equals compute(buf[0..n))', async () => {
      const buffer = speechLike(SAMPLES, 3)
      const n = 3 * 16000 + 17
      const got = Float32Array.from(logMel.compute(buffer, n))
      expect(logMel.compute(buffer.slice(0, n))).toEqual(got)
      expect(maxAbsDiff(got, await referenceLogMel(bins, buffer.slice(0, n)))).toBeLessThanOrEqual(TOLERANCE)
    })

    it('reuses one output buffer, and a call does not depend on the previous audio', () => {
      const short = speechLike(16000, 21)
      const fresh = Float32Array.from(new LogMel(whisperConfig(bins)).compute(short))
      const first = logMel.compute(whiteNoise(SAMPLES, 99))
      const second = logMel.compute(short)
      expect(second).toBe(first)
      expect(second).toEqual(fresh)
    })

    it('rejects a length outside the audio', () => {
      expect(() => logMel.compute(new Float32Array(10), 11)).toThrow(RangeError)
      expect(() => logMel.compute(new Float32Array(10), -1)).toThrow(RangeError)
    })
  })
}

describe('the comparison is sharp enough to catch a wrong recipe', () => {
  it('a non-centred STFT (frames shifted by n_fft/2) differs by far more than the tolerance', async () => {
    const audio = speechLike(SAMPLES, 11)
    const want = await referenceLogMel(80, audio)
    // A frame t of an uncentred STFT starts at t·hop, i.e. n_fft/2 samples later than the centred one.
    const uncentred = new LogMel(whisperConfig(80)).compute(audio.subarray(200))
    expect(maxAbsDiff(uncentred, want)).toBeGreaterThan(100 * TOLERANCE)
  })

  it('even a 1 % gain error is caught by the tolerance', async () => {
    // A gain g shifts every unfloored value by log10(g²)/4 ≈ 2.2e-3: twenty times the tolerance.
    const audio = speechLike(2 * 16000, 7)
    const want = await referenceLogMel(80, audio)
    const louder = audio.map((x) => x * 1.01)
    expect(maxAbsDiff(new LogMel(whisperConfig(80)).compute(louder), want)).toBeGreaterThan(10 * TOLERANCE)
  })
})
