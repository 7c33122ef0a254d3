// Whisper's temperature fallback: the rule itself, and on the generated mini model, whose random
// weights decode speech into a loop at temperature 0.
import {beforeAll, describe, expect, it} from 'vitest'
import {
  decodeWithFallback,
  needsFallback,
  whisperThresholds,
  type AttemptQuality,
  type QualityThresholds,
} from '../../../src/engine/decode/fallback.js'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel} from '../../helpers/test-models.js'

const quality = (over: Partial<AttemptQuality> = {}): AttemptQuality => ({
  compressionRatio: 1.5,
  avgLogprob: -0.3,
  noSpeechProb: 0.01,
  looped: false,
  ...over,
})

describe("needsFallback (openai-whisper's rule)", () => {
  const t = whisperThresholds
  it('falls back on repetitive, looping or unsure text, not on good text', () => {
    expect(needsFallback(quality(), t)).toBe(false)
    expect(needsFallback(quality({compressionRatio: 2.5}), t)).toBe(true)
    expect(needsFallback(quality({compressionRatio: 2.4}), t)).toBe(false)
    expect(needsFallback(quality({looped: true}), t)).toBe(true)
    expect(needsFallback(quality({avgLogprob: -1.01}), t)).toBe(true)
    expect(needsFallback(quality({avgLogprob: -1}), t)).toBe(false)
  })
  it('never re-decodes what the no-speech gate drops', () => {
    expect(needsFallback(quality({avgLogprob: -2, noSpeechProb: 0.9}), t)).toBe(false)
    expect(needsFallback(quality({avgLogprob: -2, noSpeechProb: 0.5}), t)).toBe(true)
  })
  it('a threshold set to undefined is a check turned off', () => {
    const off: QualityThresholds = {compressionRatio: undefined, logprob: undefined, noSpeech: undefined}
    expect(needsFallback(quality({compressionRatio: 9, looped: true, avgLogprob: -9}), off)).toBe(false)
  })
})

describe('decodeWithFallback', () => {
  it('keeps the first attempt that passes, else the last', async () => {
    const script: Record<number, AttemptQuality> = {
      0: quality({looped: true}),
      0.2: quality({avgLogprob: -3}),
      0.4: quality(),
      0.6: quality(),
    }
    const tried: number[] = []
    const outcome = await decodeWithFallback([0, 0.2, 0.4, 0.6], whisperThresholds, async (temperature) => {
      tried.push(temperature)
      return {...script[temperature]!, temperature}
    })
    expect(tried).toEqual([0, 0.2, 0.4])
    expect(outcome).toMatchObject({temperature: 0.4, attempts: 3, result: {temperature: 0.4}})

    const failing = await decodeWithFallback([0, 0.5, 1], whisperThresholds, async (temperature) => ({
      ...quality({avgLogprob: -5}),
      temperature,
    }))
    expect(failing).toMatchObject({temperature: 1, attempts: 3, result: {temperature: 1}})
  })
})

describe('temperature fallback on the generated mini model', () => {
  let model: WhisperModel
  let audio: Float32Array
  let length = 0
  beforeAll(async () => {
    model = await WhisperModel.load(await testModel('mini'))
    audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog. Streaming speech keeps its words.'))
    length = audio.length
  })

  const options = {temperatures: [0, 0.4, 0.8], thresholds: {...whisperThresholds, logprob: undefined}}

  it('a window decoded into a loop is decoded again hotter; the kept result passes or is the last try', async () => {
    const greedy = await new WindowTranscriber(model, {temperatures: [0]}).transcribe(audio, length, [], {maxNewTokens: 80})
    expect(greedy.stop).toBe('loop')
    expect(greedy.attempts).toBe(1)

    const transcriber = new WindowTranscriber(model, options)
    const result = await transcriber.transcribe(audio, length, [], {maxNewTokens: 80})
    expect(result.attempts).toBeGreaterThan(1)
    expect(result.temperature).toBe(options.temperatures[result.attempts - 1])
    expect(result.greedyDecoded).toEqual(greedy.decoded)
    const passes = result.stop !== 'loop' && result.compressionRatio <= 2.4
    expect(passes || result.attempts === options.temperatures.length).toBe(true)
    expect(transcriber.counters).toMatchObject({windows: 1, attempts: result.attempts, fallbacks: 1})
  })

  it('equal seeds give identical output; the seed is what sampling draws from', async () => {
    const run = async (seed: number): Promise<number[][]> => {
      const transcriber = new WindowTranscriber(model, {...options, temperatures: [0, 1], seed})
      const out: number[][] = []
      for (const seconds of [3, 4, 5]) out.push((await transcriber.transcribe(audio, seconds * 16_000, [], {maxNewTokens: 40})).tokens)
      return out
    }
    const first = await run(11)
    expect(await run(11)).toEqual(first)
    expect(await run(12)).not.toEqual(first)
  })

  it("average log-probability and the prompt reset follow Whisper's definitions", async () => {
    const transcriber = new WindowTranscriber(model, {
      temperatures: [0, 0.6],
      thresholds: {compressionRatio: 2.4, logprob: undefined, noSpeech: undefined},
    })
    const result = await transcriber.transcribe(audio, length, [], {maxNewTokens: 80})
    // Kept above 0.5 (faster-whisper's prompt_reset_on_temperature), or cut for looping: the prompt goes.
    expect(result.resetPrompt).toBe(result.temperature > 0.5 || result.stop === 'loop')
    expect(result.avgLogprob).toBeLessThan(0)
    const calm = await new WindowTranscriber(model, {temperatures: [0], loop: undefined}).transcribe(audio, length, [], {maxNewTokens: 5})
    expect(calm.resetPrompt).toBe(false)
  })
})
