// Beam search on the KV cache: beam 1 is greedy token for token, beam N is deterministic, and the
// cached search (beams sharing cache snapshots) agrees with the uncached one (every call from scratch).
import {beforeAll, describe, expect, it} from 'vitest'
import {beamDecode} from '../../../src/engine/decode/beam-search.js'
import {CachedDecoder, UncachedDecoder, type DecoderRunner} from '../../../src/engine/decode/decoder-runner.js'
import {greedyDecode} from '../../../src/engine/decode/greedy.js'
import {LogitsRules} from '../../../src/engine/decode/logits-rules.js'
import {defaultLoopRule} from '../../../src/engine/decode/repetition.js'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {LogMel} from '../../../src/engine/features/log-mel.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import type {Tensor} from '../../../src/engine/runtime/onnx.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

describe.each<TestModelName>(['mini', 'mini-split'])('beam search: %s', (name) => {
  let model: WhisperModel
  let hidden: Tensor[]
  let rules: LogitsRules

  beforeAll(async () => {
    model = await WhisperModel.load(await testModel(name))
    const audio = await readPcm(await speech('One two three four five. Streaming speech keeps its words.'))
    hidden = []
    for (const seconds of [2, 4]) {
      const input = model.featuresInput(new LogMel(model.preprocessor).compute(audio, seconds * 16_000))
      input.update()
      hidden.push(await model.encode(input.tensor))
    }
    rules = new LogitsRules(model.special, {
      timestamps: true,
      suppressTokens: model.generation.suppressTokens,
      beginSuppressTokens: model.generation.beginSuppressTokens,
      maxInitialTimestampIndex: model.generation.maxInitialTimestampIndex,
      monotonicTimestamps: true,
    })
  })

  const cached = (): DecoderRunner => new CachedDecoder(model.decoderSessions, model.decoderShape)
  const uncached = (): DecoderRunner => new UncachedDecoder(model.decoderSessions, model.decoderShape)
  const init = (): number[] => new WindowTranscriber(model).initTokens([])
  const common = () => ({initTokens: init(), endOfText: model.special.endOfText, rules, patience: 1, lengthPenalty: undefined})

  for (const loop of [undefined, defaultLoopRule]) {
    it(`beam 1 chooses what greedy chooses, token for token (${loop ? 'with' : 'without'} the loop cut)`, async () => {
      for (const h of hidden) {
        for (const maxNewTokens of [5, 40]) {
          const greedy = await greedyDecode(cached(), h, {...common(), maxNewTokens, loop})
          const beam = await beamDecode(cached(), h, {...common(), maxNewTokens, loop, beamSize: 1})
          expect(beam.tokens).toEqual(greedy.tokens)
          expect(beam.decoded).toEqual(greedy.decoded)
          expect(beam.stop).toBe(greedy.stop)
          expect(beam.sumLogprob).toBeCloseTo(greedy.sumLogprob, 4)
        }
      }
    })
  }

  it('beam 4 is deterministic, and cached and uncached searches agree', async () => {
    for (const h of hidden) {
      const options = {...common(), maxNewTokens: 24, loop: defaultLoopRule, beamSize: 4}
      const first = await beamDecode(cached(), h, options)
      const again = await beamDecode(cached(), h, options)
      const slow = await beamDecode(uncached(), h, options)
      expect(again).toEqual(first)
      expect(slow.tokens).toEqual(first.tokens)
      expect(slow.stop).toBe(first.stop)
      expect(slow.sumLogprob).toBeCloseTo(first.sumLogprob, 3)
    }
  })

  it('patience and the length penalty are accepted as openai-whisper defines them; the transcriber runs beams at temperature 0', async () => {
    const h = hidden[1]!
    for (const lengthPenalty of [undefined, 0, 1]) {
      const result = await beamDecode(cached(), h, {
        ...common(),
        maxNewTokens: 16,
        loop: defaultLoopRule,
        beamSize: 3,
        patience: 2,
        lengthPenalty,
      })
      expect(result.decoded.length).toBeGreaterThan(0)
    }
    const transcriber = new WindowTranscriber(model, {temperatures: [0], beamSize: 3})
    const audio = new Float32Array(3 * 16_000)
    const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: 16})
    expect(result.attempts).toBe(1)
    expect(() => new WindowTranscriber(model, {beamSize: 0})).toThrow(/beam size/)
  })
})
