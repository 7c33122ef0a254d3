// A draft (the previous streaming step's tokens) fed in a window's first decoder call must save
// calls and never change what greedy decoding chooses, whether the draft is right, partly right or wrong.
import {beforeAll, describe, expect, it} from 'vitest'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {mulberry32} from '../../../models/generator/weights.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

const RATE = 16_000
/** Greedy only: these cases count decoder calls, which a fallback would add to. */
const greedy = {temperatures: [0]}

describe.each<TestModelName>(['mini', 'mini-split'])('decoding with a draft: %s', (name) => {
  let model: WhisperModel
  let audio: Float32Array

  beforeAll(async () => {
    model = await WhisperModel.load(await testModel(name))
    audio = await readPcm(await speech('One two three four five. Streaming speech keeps its words. Six seven eight nine ten.'))
  })

  // A live window growing a second at a time, as the streamer hands it over.
  const lengths = (): number[] => [3, 4, 5, 6, 7].map((s) => Math.min(audio.length, s * RATE))

  for (const cache of [true, false]) {
    it(`${cache ? 'cached' : 'uncached'}: the previous window's tokens as draft give the same tokens as no draft`, async () => {
      const plain = new WindowTranscriber(model, {...greedy, cache})
      const drafted = new WindowTranscriber(model, {...greedy, cache})
      let previous: readonly number[] = []
      let reused = 0
      for (const length of lengths()) {
        const expected = await plain.transcribe(audio, length, [], {maxNewTokens: 60})
        const actual = await drafted.transcribe(audio, length, [], {maxNewTokens: 60, draft: previous})
        expect(actual.tokens).toEqual(expected.tokens)
        expect(actual.stop).toBe(expected.stop)
        let common = 0
        while (common < previous.length && previous[common] === expected.decoded[common]) common++
        reused += common
        previous = actual.decoded
      }
      // The case is only worth something if some drafts were (partly) right.
      expect(reused).toBeGreaterThan(0)
    })
  }

  it('a draft that is wrong, diverges midway, or runs past the cap changes nothing', async () => {
    const plain = new WindowTranscriber(model, greedy)
    const length = 5 * RATE
    for (const maxNewTokens of [1, 7, 60]) {
      const expected = await plain.transcribe(audio, length, [1, 2, 3], {maxNewTokens})
      const rng = mulberry32(maxNewTokens)
      const random = Array.from({length: 30}, () => Math.floor(rng() * model.special.endOfText))
      const diverging = [...expected.decoded]
      if (diverging.length > 2) diverging[Math.floor(diverging.length / 2)] = model.special.endOfText - 1
      const tooLong = [...expected.decoded, ...random, ...random]
      for (const draft of [random, diverging, tooLong, expected.decoded.slice(0, 1), []]) {
        const actual = await new WindowTranscriber(model, greedy).transcribe(audio, length, [1, 2, 3], {maxNewTokens, draft})
        expect(actual.tokens).toEqual(expected.tokens)
        expect(actual.stop).toBe(expected.stop)
      }
    }
  })

  it('with temperature fallback, a draft still changes nothing (it applies to the temperature-0 try only)', async () => {
    const options = {temperatures: [0, 0.5, 1], seed: 3}
    const plain = new WindowTranscriber(model, options)
    const drafted = new WindowTranscriber(model, options)
    let previous: readonly number[] = []
    for (const length of lengths()) {
      const expected = await plain.transcribe(audio, length, [], {maxNewTokens: 30})
      const actual = await drafted.transcribe(audio, length, [], {maxNewTokens: 30, draft: previous})
      expect(actual.tokens).toEqual(expected.tokens)
      expect(actual.temperature).toBe(expected.temperature)
      previous = actual.greedyDecoded
    }
  })

  it('the same audio with its own tokens as draft needs no decoder run beyond the first', async () => {
    const sessions =
      model.decoderSessions.layout === 'merged'
        ? [model.decoderSessions.merged]
        : [model.decoderSessions.decoder, model.decoderSessions.decoderWithPast]
    let runs = 0
    const restore = sessions.map((session) => {
      const run = session.run.bind(session)
      session.run = ((...args: Parameters<typeof run>) => {
        runs++
        return run(...args)
      }) as typeof session.run
      return () => {
        session.run = run
      }
    })
    try {
      const length = 6 * RATE
      for (const cache of [true, false]) {
        const transcriber = new WindowTranscriber(model, {...greedy, cache})
        runs = 0
        const first = await transcriber.transcribe(audio, length, [], {maxNewTokens: 40})
        expect(runs).toBe(first.decoded.length + (first.stop === 'end-of-text' ? 1 : 0))
        expect(first.decoded.length).toBeGreaterThan(3)
        runs = 0
        const again = await transcriber.transcribe(audio, length, [], {maxNewTokens: 40, draft: first.decoded})
        expect(again.tokens).toEqual(first.tokens)
        expect(runs).toBe(1)
      }
    } finally {
      for (const undo of restore) undo()
    }
  })
})
