// The trained model (models/trained/, built by the generator, never trained here) on held-out
// synthetic speech: a model that knows words lets these tests say whether a transcript is right.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {commitRepeats, fileEvents, fileWords, streamWords} from '../../bench/quality.js'
import {syntheticSpeech, type SyntheticSpeech} from '../../bench/synthetic-speech.js'
import {normalizeWords, wordErrors} from '../../bench/word-errors.js'
import {Engine} from '../../src/engine/engine.js'
import {testModel} from '../helpers/test-models.js'

// Pinned from the committed weights (greedy decoding, seeded audio): deterministic on one machine, but
// another CPU's float rounding can tip this model into or out of a repetition loop, and a loop moves
// several words (CI's machine: 14 stream-vs-file word errors where this one has 10). So each pin is the
// worst of 23 copies of the clip with seeded noise of peak 1e-3 (-60 dBFS) added, which spread as far,
// plus a word or two (test/tools/trained-model-spread.ts measures them). trained-mini at step 42849
// (4 encoder layers), this machine / worst copy: file WER 3.2 / 6.5 % (step 38114: 12.9 / 22.6 %),
// stream finals (VAD off) 6.5 / 16.1 %, 3 / 7 word errors between the two, VAD filter 3.2 / 3.2 %,
// q8 decoder 6.5 / 12.9 % with 0-1 words apart between its 8-bit and float logits (CI's machine: 5 for
// step 38114 where this one had 2, its integer kernels round differently); one copy of 24 (not the clip)
// committed a word twice in the stream (step 38114: one too). The clip has 31 words (3.2 % each).
// The stream-vs-file count gets three words, not two: it moved most on CI's machine.
// Re-pin when better weights land.
const MAX_FILE_WER = 13
const MAX_STREAM_VS_FILE_ERRORS = 10
const MAX_STREAM_WER = 23
/** The VAD filter on the clip after 40 s of silence: chunks of speech only, each its own long-form run. */
const MAX_VAD_FILTER_WER = 10
/** The q8 decoder (8-bit layers) on the same clip. */
const MAX_FILE_WER_Q8 = 20
/** Words apart between the q8 decoder's 8-bit and float logits projections: near-ties in this model's loops. */
const MAX_INT8_VS_FLOAT_ERRORS = 7

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

  it('streams finals equal to the offline text within the pinned word errors, none doubled across a commit, within the pinned WER', async () => {
    const run = await streamWords(engine, speech.pcm, false, true, GREEDY)
    const finals = run.finals.map((f) => f.word)
    const errors = wordErrors(offline, finals)
    expect(errors.substitutions + errors.deletions + errors.insertions).toBeLessThanOrEqual(MAX_STREAM_VS_FILE_ERRORS)
    // The stream's part of doubling: a final that opens on the word the previous one closed with (the
    // clip never says a word twice in a row). A word the model repeats inside one hypothesis is its own
    // error, counted by the WER below.
    expect(speech.words.every((w, i) => i === 0 || w.word !== speech.words[i - 1]!.word)).toBe(true)
    expect(commitRepeats(run.finals)).toBe(0)
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
  // Step 34711 on this machine: the same words with either projection on the clean clip, up to 4 apart on noisy copies.
  it('transcribes the held-out clip to nearly the same words with 8-bit logits as with the float projection, within the pinned WER', async () => {
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
    const apart = wordErrors(float, int8)
    expect(apart.substitutions + apart.deletions + apart.insertions).toBeLessThanOrEqual(MAX_INT8_VS_FLOAT_ERRORS)
    expect(
      wordErrors(
        speech.words.map((w) => w.word),
        int8,
      ).wer,
    ).toBeLessThanOrEqual(MAX_FILE_WER_Q8)
  })
})
