import {describe, expect, it} from 'vitest'

import {openAudio} from '../../../src/engine/audio/open-audio.js'

const MB = 1024 * 1024

describe('memory', () => {
  it('decoding 20 minutes of audio keeps RSS growth bounded', async () => {
    // Warm up: load modules, the ffmpeg lookup, the first ffmpeg run.
    for await (const _ of openAudio({input: 'sine=duration=1', inputFormat: 'lavfi'})) {
      // drain
    }
    const before = process.memoryUsage().rss
    let peak = before
    let samples = 0
    const audio = openAudio({input: 'sine=frequency=440:sample_rate=16000:duration=1200', inputFormat: 'lavfi'})
    for await (const chunk of audio) {
      samples += chunk.length
      if (samples % (16_000 * 10) < chunk.length) peak = Math.max(peak, process.memoryUsage().rss)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    expect(samples).toBe(16_000 * 1200) // 77 MB of float32 went through
    expect((peak - before) / MB).toBeLessThan(50)
  })
})
