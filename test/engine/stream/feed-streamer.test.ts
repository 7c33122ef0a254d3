import {describe, expect, it} from 'vitest'
import {feedStreamer} from '../../../src/engine/engine.js'
import {Streamer} from '../../../src/engine/stream/streamer.js'
import {audioOf, SAMPLE_RATE} from '../../helpers/scripted-backend.js'

/** 10,000 chunks of 100 ms (about 17 minutes), counting what was pulled and whether the source was closed. */
function countingSource(): {source: AsyncIterable<Float32Array>; pulled: () => number; closed: Promise<void>} {
  let pulled = 0
  let close = (): void => {}
  const closed = new Promise<void>((resolve) => (close = resolve))
  async function* chunks(): AsyncGenerator<Float32Array> {
    try {
      for (let i = 0; i < 10_000; i++) {
        pulled++
        // A live source: the next chunk comes later, not within the same turn.
        await new Promise((resolve) => setImmediate(resolve))
        yield audioOf(i * 1600, (i + 1) * 1600)
      }
    } finally {
      close()
    }
  }
  return {source: chunks(), pulled: () => pulled, closed}
}

const failingBackend = {sampleRate: SAMPLE_RATE, maxSamples: 30 * SAMPLE_RATE, transcribe: async () => Promise.reject(new Error('boom'))}

describe('feedStreamer', () => {
  for (const backpressure of [true, false]) {
    it(`stops reading the source at once when the streamer fails (backpressure ${backpressure})`, async () => {
      const streamer = new Streamer(failingBackend, {vad: false, stepMs: 1000})
      streamer.on('error', () => {})
      const {source, pulled, closed} = countingSource()
      await expect(feedStreamer(streamer, source, {backpressure})).rejects.toMatchObject({code: 'internal'})
      // The first step runs after one second of audio; a few more chunks may be in flight when it fails.
      expect(pulled()).toBeLessThan(100)
      const atFailure = pulled()
      // The source is told to stop (its pending chunk may still land first).
      await closed
      expect(pulled()).toBeLessThanOrEqual(atFailure + 1)
    })
  }
})
