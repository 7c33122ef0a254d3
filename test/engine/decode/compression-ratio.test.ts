// Whisper's repetition measure. Expected values are Python's len(b) / len(zlib.compress(b)) on the
// UTF-8 bytes, as openai-whisper computes it. Node's zlib build may emit a byte or two more or less
// than Python's for the same level, so ratios agree to a few percent, not to the last digit.
import {describe, expect, it} from 'vitest'
import {compressionRatio} from '../../../src/engine/decode/compression-ratio.js'

describe('compressionRatio', () => {
  it.each([
    ['', 0],
    ['The quick brown fox jumps over the lazy dog.', 0.8627450980392157],
    ['hello hello hello hello hello hello hello hello hello hello', 3.4705882352941178],
    ['Streaming speech recognition turns audio into text while people are still talking. '.repeat(3), 3.0365853658536586],
    ['Grüße aus Köln, 東京へようこそ', 0.7843137254901961],
  ])('%j → %f (zlib, as openai-whisper)', (text, expected) => {
    const actual = compressionRatio(text)
    if (expected === 0) expect(actual).toBe(0)
    else expect(Math.abs(actual / expected - 1)).toBeLessThan(0.05)
  })

  it("repetition crosses Whisper's 2.4, ordinary speech does not", () => {
    expect(compressionRatio(' I think so.'.repeat(20))).toBeGreaterThan(2.4)
    expect(compressionRatio('Streaming speech recognition turns audio into text while people are still talking.')).toBeLessThan(2.4)
  })
})
