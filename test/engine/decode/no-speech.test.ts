// The no-speech gate: the probability of <|nospeech|>/<|nocaptions|> right after start-of-transcript,
// checked against a softmax computed here from the decoder's own logits, and the gate's thresholds.
import {beforeAll, describe, expect, it} from 'vitest'
import {UncachedDecoder} from '../../../src/engine/decode/decoder-runner.js'
import {isNoSpeech} from '../../../src/engine/decode/no-speech.js'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {Engine} from '../../../src/engine/engine.js'
import {LogMel} from '../../../src/engine/features/log-mel.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

/** softmax(row)[token] in float64, straight from its definition. */
function softmaxAt(row: Float32Array, token: number): number {
  let total = 0
  for (const value of row) total += Math.exp(value)
  return Math.exp(row[token]!) / total
}

async function directNoSpeech(model: WhisperModel, audio: Float32Array, initTokens: number[]): Promise<number> {
  const features = new LogMel(model.preprocessor).compute(audio, audio.length)
  const input = model.featuresInput(features)
  input.update()
  const hidden = await model.encode(input.tensor)
  const decoder = new UncachedDecoder(model.decoderSessions, model.decoderShape)
  await decoder.start(initTokens, hidden)
  return softmaxAt(decoder.startRow(initTokens.indexOf(model.special.startOfTranscript)), model.special.noSpeech!)
}

describe("isNoSpeech (openai-whisper's gate)", () => {
  it('drops a window only when no-speech is likely and the decode was unsure', () => {
    const thresholds = {noSpeech: 0.6, logprob: -1}
    expect(isNoSpeech(0.7, -1.5, thresholds)).toBe(true)
    expect(isNoSpeech(0.7, -0.5, thresholds)).toBe(false)
    expect(isNoSpeech(0.5, -1.5, thresholds)).toBe(false)
    expect(isNoSpeech(0.7, -0.5, {noSpeech: 0.6, logprob: undefined})).toBe(true)
    expect(isNoSpeech(1, -9, {noSpeech: undefined, logprob: -1})).toBe(false)
  })
})

const cases: Array<{name: TestModelName; language?: string; token: string}> = [
  {name: 'mini', token: '<|nocaptions|>'},
  {name: 'mini-multilingual-128', language: 'de', token: '<|nospeech|>'},
]

describe.each(cases)('no-speech probability: $name', ({name, language, token}) => {
  let model: WhisperModel
  let audio: Float32Array
  beforeAll(async () => {
    model = await WhisperModel.load(await testModel(name))
    audio = await readPcm(await speech('One two three four five.'))
  })

  it(`reads ${token} from the model's tokenizer`, () => {
    expect(model.special.noSpeech).toBe(model.tokenizer.tokenToId(token))
  })

  for (const prompt of [[], [1000, 2000, 3000]]) {
    it(`equals softmax at the start-of-transcript position (${prompt.length ? 'after a prompt' : 'no prompt'})`, async () => {
      const transcriber = new WindowTranscriber(model, {temperatures: [0], language})
      const result = await transcriber.transcribe(audio, audio.length, prompt, {maxNewTokens: 8})
      const expected = await directNoSpeech(model, audio, transcriber.initTokens(prompt))
      expect(expected).toBeGreaterThan(0)
      expect(result.noSpeechProb / expected).toBeCloseTo(1, 5)
    })
  }

  it('threshold 0 drops every window, 1 drops none', async () => {
    const run = async (noSpeech: number): Promise<{tokens: number; dropped: boolean}> => {
      const transcriber = new WindowTranscriber(model, {
        temperatures: [0],
        language,
        thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech},
      })
      const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: 8})
      return {tokens: result.tokens.length, dropped: result.noSpeech}
    }
    expect(await run(0)).toEqual({tokens: 0, dropped: true})
    const kept = await run(1)
    expect(kept.dropped).toBe(false)
    expect(kept.tokens).toBeGreaterThan(0)
  })

  it('on the file path a dropped window yields no segment', async () => {
    const finals = async (noSpeech: number): Promise<number> => {
      const engine = Engine.from(model)
      let count = 0
      const chunks = (async function* () {
        yield audio
      })()
      for await (const event of engine.transcribeFile(chunks, {
        decoding: {temperatures: [0], language, thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech}},
      })) {
        expect(event.text).not.toBe('')
        count++
      }
      return count
    }
    expect(await finals(0)).toBe(0)
    expect(await finals(1)).toBeGreaterThan(0)
  })
})
