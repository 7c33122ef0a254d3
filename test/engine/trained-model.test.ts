// The trained model (models/trained/, built by the generator, never trained here) on held-out
// synthetic speech: a model that knows words lets these tests say whether a transcript is right.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {fileEvents, fileWords, streamWords} from '../../bench/quality.js'
import {syntheticSpeech, type SyntheticSpeech} from '../../bench/synthetic-speech.js'
import {normalizeWords, wordErrors} from '../../bench/word-errors.js'
import {Engine} from '../../src/engine/engine.js'
import {testModel} from '../helpers/test-models.js'

// Pinned from the committed weights (greedy decoding, seeded audio: deterministic on one machine; the
// margin covers other CPUs' float rounding). trained-mini at step 30099: 29 % file WER on this clip (the
// long-form path's timestamped 30 s windows are its weak spot; it still writes "school" three times
// across the 8 s pause after it), 9.7 % for the stream's finals (VAD off), and 10 word errors between
// the two. Re-pin when better weights land.
const MAX_FILE_WER = 36
const MAX_STREAM_VS_FILE_ERRORS = 13
const MAX_STREAM_WER = 16
/** The VAD filter on the clip after 40 s of silence: chunks of speech only, each its own long-form run (41.9 %). */
const MAX_VAD_FILTER_WER = 48
/** The q8 decoder (8-bit layers) on the same clip: 29.0 %, as fp32. */
const MAX_FILE_WER_Q8 = 36

// Greedy: one temperature-0 pass per window, no fallback sampling.
const GREEDY = {temperatures: [0]}

describe('trained-mini on held-out synthetic speech', () => {
  let engine: Engine
  let speech: SyntheticSpeech
  let offline: string[]

  beforeAll(async () => {
    engine = await Engine.load(await testModel('trained-mini'), {threads: 1})
    speech = await syntheticSpeech({seconds: 40, seed: 7, longPauses: true})
    offline = await fileWords(engine, speech.pcm, GREEDY)
  })
  afterAll(async () => {
    await engine?.release()
  })

  it('transcribes a held-out clip offline within the pinned WER', () => {
    const errors = wordErrors(
      speech.words.map((w) => w.word),
      offline,
    )
    expect(speech.words.length).toBeGreaterThan(20)
    expect(errors.wer).toBeLessThanOrEqual(MAX_FILE_WER)
  })

  it('streams finals equal to the offline text within the pinned word errors, no word doubled, within the pinned WER', async () => {
    const run = await streamWords(engine, speech.pcm, false, true, GREEDY)
    const finals = run.finals.map((f) => f.word)
    const errors = wordErrors(offline, finals)
    expect(errors.substitutions + errors.deletions + errors.insertions).toBeLessThanOrEqual(MAX_STREAM_VS_FILE_ERRORS)
    expect(errors.doubled).toBe(0)
    expect(
      wordErrors(
        speech.words.map((w) => w.word),
        finals,
      ).wer,
    ).toBeLessThanOrEqual(MAX_STREAM_WER)
  })

  it('with the VAD filter, transcribes only the speech, within the pinned WER, with times on the source clock', async () => {
    const lead = 40
    const pcm = new Float32Array(lead * 16_000 + speech.pcm.length)
    pcm.set(speech.pcm, lead * 16_000)
    const events = await fileEvents(engine, pcm, GREEDY, true)
    const words = events.flatMap((event) => normalizeWords(event.text))
    const reference = speech.words.map((w) => w.word)
    expect(wordErrors(reference, words).wer).toBeLessThanOrEqual(MAX_VAD_FILTER_WER)
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => i))
    // Chunks reach 0.2 s (the pad) and one 32 ms VAD frame beyond the speech, no further.
    const first = lead + speech.words[0].start
    const last = lead + speech.words[speech.words.length - 1].end
    for (const event of events) {
      expect(event.start).toBeGreaterThanOrEqual(first - 0.3)
      expect(event.end).toBeLessThanOrEqual(last + 0.3)
      expect(event.end).toBeGreaterThanOrEqual(event.start)
    }
  })

  it('emits no words on silence, offline or streaming', async () => {
    const silence = new Float32Array(30 * 16_000)
    expect(await fileWords(engine, silence, GREEDY)).toEqual([])
    expect(await fileWords(engine, silence, GREEDY, true)).toEqual([])
    expect((await streamWords(engine, silence, false, true, GREEDY)).finals).toEqual([])
  })
})

describe('trained-mini with its q8 decoder', () => {
  // The same words with either projection (measured at steps 10811, 14183, 21163 and 30099).
  it('transcribes the held-out clip to the same words with 8-bit logits as with the float projection', async () => {
    const dir = await testModel('trained-mini-q8')
    const speech = await syntheticSpeech({seconds: 40, seed: 7, longPauses: true})
    const words: string[][] = []
    for (const int8Logits of [true, false]) {
      const engine = await Engine.load(dir, {threads: 1, dtype: {encoder: 'fp32', decoder: 'q8'}, int8Logits})
      try {
        words.push(await fileWords(engine, speech.pcm, GREEDY))
      } finally {
        await engine.release()
      }
    }
    const [int8, float] = words as [string[], string[]]
    expect(int8).toEqual(float)
    expect(
      wordErrors(
        speech.words.map((w) => w.word),
        int8,
      ).wer,
    ).toBeLessThanOrEqual(MAX_FILE_WER_Q8)
  })
})
