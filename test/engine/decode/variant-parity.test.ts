// Every weight variant against transformers.js on the same files (it loads them with `dtype`):
// fp32, fp16, q8, int8, uint8, q4, q4f16 and bnb4, English and multilingual-128, with and without
// timestamps, plus a per-part choice. transformers.js decodes with a KV cache, and our cached
// decoder gives its tokens exactly. Our uncached baseline (the whole sequence every call) can
// only match where a call's numerics do not depend on how many rows it holds; the 8-bit variants
// quantize activations per call (DynamicQuantizeLinear takes one scale from the min/max of the
// whole input), so for them the test pins the measured agreement instead.
import {basename, dirname} from 'node:path'
import {AutoModelForSpeechSeq2Seq, AutoProcessor, env, type PreTrainedModel, type Processor} from '@huggingface/transformers'
import {beforeAll, describe, expect, it} from 'vitest'
import {GENERATOR_DTYPES, type GeneratorDtype} from '../../../models/generator/index.js'
import type {DtypeChoice} from '../../../src/engine/store/registry.js'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel, type TestModelName} from '../../helpers/test-models.js'

const NEW_TOKENS = 32

/** Uncached tokens in common with the reference, at least (measured: see the README's "Weight variants"). */
const UNCACHED_AGREEMENT: Partial<Record<GeneratorDtype, number>> = {q8: 8, int8: 8, uint8: 8}

type Reference = {processor: Processor; load: (dtype: unknown) => Promise<PreTrainedModel>}

function reference(dir: string): Reference {
  env.allowRemoteModels = false
  env.localModelPath = `${dirname(dir)}/`
  const name = basename(dir)
  let processor: Processor | undefined
  return {
    get processor() {
      return processor!
    },
    load: async (dtype) => {
      processor ??= await AutoProcessor.from_pretrained(name)
      return AutoModelForSpeechSeq2Seq.from_pretrained(name, {dtype: dtype as 'fp32'})
    },
  }
}

async function referenceTokens(
  model: PreTrainedModel,
  processor: Processor,
  audio: Float32Array,
  timestamps: boolean,
  language?: string,
): Promise<number[]> {
  const {input_features: features} = await processor(audio)
  const options: Record<string, unknown> = {inputs: features, max_new_tokens: NEW_TOKENS, return_timestamps: timestamps}
  if (language) Object.assign(options, {language, task: 'transcribe'})
  const output = (await model.generate(options)) as unknown as {tolist(): bigint[][]}
  return output.tolist()[0]!.map(Number)
}

async function ourTokens(
  model: WhisperModel,
  audio: Float32Array,
  timestamps: boolean,
  cache: boolean,
  language?: string,
): Promise<number[]> {
  // transformers.js applies neither the max-initial-timestamp nor the monotonic rule; match it here.
  const transcriber = new WindowTranscriber(model, {
    // Greedy only: no temperature fallback, no thresholds (transformers.js's generate has neither).
    temperatures: [0],
    thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech: undefined},
    timestamps,
    cache,
    language,
    loop: undefined,
    maxInitialTimestampIndex: null,
    monotonicTimestamps: false,
  })
  const result = await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: NEW_TOKENS})
  return [...transcriber.initTokens([]), ...result.tokens]
}

const commonPrefix = (a: number[], b: number[]): number => {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}

let audio: Float32Array
beforeAll(async () => {
  audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
})

const models: Array<{name: TestModelName; language?: string}> = [
  {name: 'mini-variants'},
  {name: 'mini-multilingual-128-variants', language: 'en'},
]

describe.each(models)('variant parity with transformers.js: $name', ({name, language}) => {
  let ref: Reference
  let dir: string
  beforeAll(async () => {
    dir = await testModel(name)
    ref = reference(dir)
  })

  const choices: Array<[string, DtypeChoice, unknown]> = [
    ...GENERATOR_DTYPES.map((dtype): [string, DtypeChoice, unknown] => [dtype, dtype, dtype]),
    ['encoder=fp32,decoder=q4', {encoder: 'fp32', decoder: 'q4'}, {encoder_model: 'fp32', decoder_model_merged: 'q4'}],
    ['encoder=q8,decoder=fp16', {encoder: 'q8', decoder: 'fp16'}, {encoder_model: 'q8', decoder_model_merged: 'fp16'}],
  ]
  it.each(choices)('%s: cached tokens equal the reference, with and without timestamps', async (label, ours, theirs) => {
    // The file's own float logits projection: our 8-bit one (runtime/int8-logits.ts) rounds activations,
    // which transformers.js does not, and on random weights that flips near-tied tokens.
    const model = await WhisperModel.load(dir, {dtype: ours, int8Logits: false})
    const other = await ref.load(theirs)
    try {
      for (const timestamps of [false, true]) {
        const expected = await referenceTokens(other, ref.processor, audio, timestamps, language)
        const cached = await ourTokens(model, audio, timestamps, true, language)
        expect(cached.length).toBeGreaterThanOrEqual(Math.min(expected.length, 24))
        expect(cached, `${label} timestamps=${timestamps}`).toEqual(expected.slice(0, cached.length))
        const uncached = await ourTokens(model, audio, timestamps, false, language)
        const pinned = typeof ours === 'string' ? UNCACHED_AGREEMENT[ours] : undefined
        if (pinned === undefined) expect(uncached, `${label} uncached timestamps=${timestamps}`).toEqual(cached)
        else expect(commonPrefix(uncached, cached), `${label} uncached timestamps=${timestamps}`).toBeGreaterThanOrEqual(pinned)
      }
    } finally {
      await model.release()
      await other.dispose()
    }
  })
})

describe("fp16 with float16 inputs and outputs (Optimum's export)", () => {
  it('takes and gives float16 and decodes as the float32-I/O fp16 files do', async () => {
    const half = await WhisperModel.load(await testModel('mini-fp16-io'), {dtype: 'fp16'})
    const keepIo = await WhisperModel.load(await testModel('mini-variants'), {dtype: 'fp16'})
    try {
      const meta = (session: WhisperModel['encoder'], name: string) =>
        [...session.inputMetadata, ...session.outputMetadata].find((m) => m.name === name)
      expect(meta(half.encoder, 'input_features')).toMatchObject({type: 'float16'})
      expect(meta(keepIo.encoder, 'input_features')).toMatchObject({type: 'float32'})
      for (const timestamps of [false, true]) {
        for (const cache of [true, false]) {
          const expected = await ourTokens(keepIo, audio, timestamps, cache)
          expect(await ourTokens(half, audio, timestamps, cache)).toEqual(expected)
        }
      }
    } finally {
      await half.release()
      await keepIo.release()
    }
  })
})
