// Token times from cross-attention against transformers.js (_extract_token_timestamps, via
// generate({return_token_timestamps})) on the same generated `_timestamped` files.
import {basename, dirname} from 'node:path'
import {AutoModelForSpeechSeq2Seq, AutoProcessor, env, type PreTrainedModel, type Processor} from '@huggingface/transformers'
import {beforeAll, describe, expect, it} from 'vitest'
import {alignTokens, canAlign} from '../../../../src/engine/decode/alignment/align-tokens.js'
import {WindowTranscriber} from '../../../../src/engine/decode/window-transcriber.js'
import {LogMel} from '../../../../src/engine/features/log-mel.js'
import {WhisperModel} from '../../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../../helpers/test-models.js'

const NEW_TOKENS = 24
const greedyOnly = {temperatures: [0], thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech: undefined}}

const cases: Array<{model: TestModelName; language?: string}> = [
  {model: 'mini-timestamped'},
  {model: 'mini-multilingual-timestamped', language: 'de'},
  {model: 'trained-mini-timestamped'},
]

describe.each(cases)('token times by DTW, parity with transformers.js: $model', ({model: name, language}) => {
  let model: WhisperModel
  let reference: {model: PreTrainedModel; processor: Processor}
  let audio: Float32Array

  beforeAll(async () => {
    const dir = await testModel(name)
    model = await WhisperModel.load(dir)
    env.allowRemoteModels = false
    env.localModelPath = `${dirname(dir)}/`
    reference = {
      model: await AutoModelForSpeechSeq2Seq.from_pretrained(basename(dir), {dtype: 'fp32'}),
      processor: await AutoProcessor.from_pretrained(basename(dir)),
    }
    audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
  })

  it('the model is recognised as alignable; plain models are not', async () => {
    expect(canAlign(model)).toBe(true)
    expect(canAlign(await WhisperModel.load(await testModel('mini')))).toBe(false)
  })

  for (const timestamps of [false, true]) {
    it(`equal tokens and token times within 0.02 s (${timestamps ? 'with' : 'without'} timestamp tokens)`, async () => {
      const {input_features: features} = await reference.processor(audio)
      // transformers.js crops the attention to num_frames; openai-whisper (and we) to the encoder frames the audio fills.
      const frames = Math.floor(Math.floor(audio.length / model.preprocessor.hopLength) / 2)
      const options: Record<string, unknown> = {
        inputs: features,
        max_new_tokens: NEW_TOKENS,
        return_timestamps: timestamps,
        return_token_timestamps: true,
        num_frames: frames,
      }
      if (language) Object.assign(options, {language, task: 'transcribe'})
      const output = (await reference.model.generate(options)) as unknown as {
        sequences: {tolist(): bigint[][]}
        token_timestamps: {tolist(): number[][]}
      }
      const theirs = output.sequences.tolist()[0]!.map(Number)
      const theirTimes = output.token_timestamps.tolist()[0]!

      const transcriber = new WindowTranscriber(model, {
        ...greedyOnly,
        timestamps,
        language,
        loop: undefined,
        maxInitialTimestampIndex: null,
        monotonicTimestamps: false,
      })
      const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: NEW_TOKENS})
      const init = transcriber.initTokens([])
      expect([...init, ...result.decoded, ...(result.stop === 'end-of-text' ? [model.special.endOfText] : [])]).toEqual(theirs)

      const features2 = model.featuresInput(new LogMel(model.preprocessor).compute(audio, audio.length))
      features2.update()
      const hidden = await model.encode(features2.tensor)
      const times = await alignTokens(model, hidden, init, result.decoded, result.stop === 'end-of-text', audio.length)
      const generatedTimes = theirTimes.slice(init.length)
      expect(times.length).toBeGreaterThan(0)
      for (let k = 0; k < Math.min(times.length, generatedTimes.length); k++)
        expect(Math.abs(times[k]! - generatedTimes[k]!)).toBeLessThanOrEqual(0.02 + 1e-6)
      for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1]!)
      expect(times.at(-1)).toBeLessThanOrEqual(audio.length / 16_000 + 0.02)
    })
  }
})

describe('token times by DTW: the split layout (which transformers.js cannot load) equals the merged one', () => {
  it('same tokens, same times', async () => {
    const audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
    const run = async (name: TestModelName): Promise<Float64Array> => {
      const model = await WhisperModel.load(await testModel(name))
      const transcriber = new WindowTranscriber(model, {...greedyOnly, wordTimestamps: true})
      const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: NEW_TOKENS})
      expect(result.alignment).toBe('dtw')
      return result.tokenTimes!
    }
    expect(Array.from(await run('mini-split-timestamped'))).toEqual(Array.from(await run('mini-timestamped')))
  })
})
