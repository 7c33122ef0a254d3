// Words with times: grouping tokens into words, and finals carrying them on the file and live paths,
// timed by DTW on `_timestamped` models and proportionally on others (the event says which).
import {beforeAll, describe, expect, it} from 'vitest'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WordGrouper} from '../../../src/engine/decode/word-grouping.js'
import {Engine} from '../../../src/engine/engine.js'
import type {FinalEvent} from '../../../src/engine/events.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {WhisperBackend} from '../../../src/engine/stream/whisper-backend.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

const greedy = {temperatures: [0]}

describe('WordGrouper', () => {
  let model: WhisperModel
  beforeAll(async () => {
    model = await WhisperModel.load(await testModel('mini-multilingual-timestamped'))
  })

  it('splits on BPE spaces, keeping word pieces together', () => {
    const tokens = model.tokenizer.encode(' Streaming speech recognition, fast.')
    const words = new WordGrouper(model.tokenizer).words(tokens, 'en')
    expect(words.map((w) => w.text)).toEqual([' Streaming', ' speech', ' recognition,', ' fast.'])
    expect(words[0]!.from).toBe(0)
    expect(words.at(-1)!.to).toBe(tokens.length)
    words.slice(1).forEach((w, i) => expect(w.from).toBe(words[i]!.to))
  })

  it('languages without spaces become one word per character, multi-token characters whole', () => {
    const tokens = model.tokenizer.encode('東京へようこそ')
    const words = new WordGrouper(model.tokenizer).words(tokens, 'ja')
    expect(words.map((w) => w.text).join('')).toBe('東京へようこそ')
    for (const word of words) expect(word.text).not.toContain('\uFFFD')
    expect(words.length).toBeGreaterThan(1)
  })
})

const cases: Array<{name: TestModelName; alignment: 'dtw' | 'proportional'}> = [
  {name: 'mini-timestamped', alignment: 'dtw'},
  {name: 'mini', alignment: 'proportional'},
]

describe.each(cases)('finals with words: $name', ({name, alignment}) => {
  let model: WhisperModel
  let audio: Float32Array
  beforeAll(async () => {
    model = await WhisperModel.load(await testModel(name))
    audio = await readPcm(await speech('One two three four five. The quick brown fox jumps over the lazy dog.'))
  })

  const checkWords = (finals: FinalEvent[]): void => {
    const words = finals.flatMap((event) => event.words ?? [])
    expect(words.length).toBeGreaterThan(0)
    for (const event of finals) {
      expect(
        event
          .words!.map((w) => w.text)
          .join('')
          .trim(),
      ).toBe(event.text)
      for (const word of event.words!) {
        expect(word.start).toBeGreaterThanOrEqual(event.start - 1e-9)
        expect(word.end).toBeLessThanOrEqual(event.end + 1e-9)
        expect(word.end).toBeGreaterThanOrEqual(word.start)
        expect(word.probability).toBeGreaterThan(0)
        expect(word.probability).toBeLessThanOrEqual(1)
      }
    }
    words.slice(1).forEach((word, i) => expect(word.start).toBeGreaterThanOrEqual(words[i]!.end - 1e-9))
  }

  it(`file path: every final's words spell it, lie inside it, in order; alignment ${alignment}`, async () => {
    const engine = Engine.from(model)
    const chunks = (async function* () {
      yield audio
    })()
    const finals: FinalEvent[] = []
    for await (const event of engine.transcribeFile(chunks, {decoding: {...greedy, wordTimestamps: true}, withWords: true}))
      finals.push(event)
    checkWords(finals)
    for (const event of finals) expect(event.alignment).toBe(alignment)
  })

  it('live path: hypothesis words come from the token times when the model has them', async () => {
    const transcriber = new WindowTranscriber(model, {...greedy, wordTimestamps: true})
    const backend = new WhisperBackend(transcriber)
    const hypothesis = await backend.transcribe(audio, [])
    const direct = await new WindowTranscriber(model, {...greedy, wordTimestamps: true}).transcribe(audio, audio.length, [], {
      maxNewTokens: Math.ceil(8 + (7 * audio.length) / 16_000),
    })
    expect(direct.alignment).toBe(alignment)
    expect(hypothesis.words.length).toBeGreaterThan(0)
    hypothesis.words.slice(1).forEach((word, i) => expect(word.start).toBeGreaterThanOrEqual(hypothesis.words[i]!.end))
    for (const word of hypothesis.words) expect(word.end).toBeLessThanOrEqual(audio.length)
  })
})
