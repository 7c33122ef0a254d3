// Our decoder against an independent implementation: transformers.js's `generate` on the same
// generated model files. Any error in mel, tokenizer, prompt layout, KV cache or logit rules shows
// up as a different token id.
import {basename, dirname} from 'node:path'
import {AutoModelForSpeechSeq2Seq, AutoProcessor, env, type PreTrainedModel, type Processor} from '@huggingface/transformers'
import {beforeAll, describe, expect, it} from 'vitest'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

const NEW_TOKENS = 40
// transformers.js's generate() decodes greedily, with neither temperature fallback nor a no-speech gate.
const greedyOnly = {temperatures: [0], thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech: undefined}}

const seeded = (seed: number, length: number, scale: number): Float32Array => {
  const out = new Float32Array(length)
  let state = seed >>> 0
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    out[i] = ((state / 2 ** 32) * 2 - 1) * scale
  }
  return out
}

interface Reference {
  model: PreTrainedModel
  processor: Processor
}

async function loadReference(dir: string): Promise<Reference> {
  env.allowRemoteModels = false
  env.localModelPath = `${dirname(dir)}/`
  const name = basename(dir)
  return {
    model: await AutoModelForSpeechSeq2Seq.from_pretrained(name, {dtype: 'fp32'}),
    processor: await AutoProcessor.from_pretrained(name),
  }
}

async function referenceTokens(reference: Reference, audio: Float32Array, timestamps: boolean, language?: string): Promise<number[]> {
  const {input_features: features} = await reference.processor(audio)
  const options: Record<string, unknown> = {inputs: features, max_new_tokens: NEW_TOKENS, return_timestamps: timestamps}
  if (language) Object.assign(options, {language, task: 'transcribe'})
  const output = (await reference.model.generate(options)) as unknown as {tolist(): bigint[][]}
  return output.tolist()[0]!.map(Number)
}

const cases: Array<{model: TestModelName; language?: string}> = [{model: 'mini'}, {model: 'mini-multilingual-128', language: 'en'}]

describe.each(cases)('token parity with transformers.js: $model', ({model: name, language}) => {
  let model: WhisperModel
  let reference: Reference
  const inputs: Record<string, Float32Array> = {}

  beforeAll(async () => {
    const dir = await testModel(name)
    model = await WhisperModel.load(dir)
    reference = await loadReference(dir)
    inputs['speech'] = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
    inputs['noise'] = seeded(7, 16_000 * 5, 0.3)
    inputs['silence'] = new Float32Array(16_000 * 3)
    inputs['long speech (28 s)'] = await readPcm(
      await speech('Streaming speech recognition turns audio into text while people are still talking. '.repeat(5)),
    )
  })

  for (const input of ['speech', 'noise', 'silence', 'long speech (28 s)']) {
    for (const timestamps of [false, true]) {
      it(`${input}, ${timestamps ? 'with' : 'without'} timestamps: cached and uncached match the reference`, async () => {
        const audio = inputs[input]!
        const expected = await referenceTokens(reference, audio, timestamps, language)
        for (const cache of [true, false]) {
          // transformers.js applies neither the max-initial-timestamp nor the monotonic rule; match it here.
          const transcriber = new WindowTranscriber(model, {
            ...greedyOnly,
            timestamps,
            cache,
            language,
            loop: undefined,
            maxInitialTimestampIndex: null,
            monotonicTimestamps: false,
          })
          const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: NEW_TOKENS})
          const ours = [...transcriber.initTokens([]), ...result.tokens]
          expect(ours.length).toBeGreaterThanOrEqual(Math.min(expected.length, 32))
          expect(ours, `cache=${cache}`).toEqual(expected.slice(0, ours.length))
        }
      })
    }
  }

  it("cached and uncached decoding agree with all of Whisper's rules on", async () => {
    const audio = inputs['speech']!
    const run = (cache: boolean) =>
      new WindowTranscriber(model, {...greedyOnly, cache, language, loop: undefined}).transcribe(audio, audio.length, [1, 2, 3, 4], {
        maxNewTokens: 64,
      })
    expect((await run(true)).tokens).toEqual((await run(false)).tokens)
  })
})

describe('split decoder layout (decoder_model + decoder_with_past_model)', () => {
  it('gives the same tokens as the merged decoder with the same weights', async () => {
    const merged = await WhisperModel.load(await testModel('mini'))
    const split = await WhisperModel.load(await testModel('mini-split'))
    expect(split.files.decoder.layout).toBe('split')
    const audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
    for (const cache of [true, false]) {
      const run = (model: WhisperModel) =>
        new WindowTranscriber(model, {...greedyOnly, cache, loop: undefined}).transcribe(audio, audio.length, [], {maxNewTokens: 48})
      const [a, b] = [await run(merged), await run(split)]
      expect(b.tokens.length).toBeGreaterThan(0)
      expect(b.tokens).toEqual(a.tokens)
    }
  })
})
