// Every config layout the hub serves loads and decodes like today's onnx-community layout with the
// same weights: older and newer generation configs, transformers 5's processor_config.json,
// mel_filters in the file, tokenizers of either generation, added_tokens.json.
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateModel, type ConfigLayouts} from '../../../models/generator/index.js'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {WhisperStreamError} from '../../../src/engine/errors.js'
import {melFilterBank} from '../../../src/engine/features/mel-filters.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel} from '../../helpers/test-models.js'

let tmp: string
let audio: Float32Array

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'layouts-'))
  audio = await readPcm(await speech('The quick brown fox jumps over the lazy dog.'))
})
afterAll(async () => {
  await rm(tmp, {recursive: true, force: true})
})

const generate = (name: string, layouts: Partial<ConfigLayouts>, multilingual = false): Promise<string> =>
  generateModel({out: path.join(tmp, name), seed: 1, layouts, ...(multilingual ? {multilingual: true, melBins: 128 as const} : {})})

async function tokens(model: WhisperModel, timestamps: boolean, language?: string): Promise<number[]> {
  const transcriber = new WindowTranscriber(model, {timestamps, language, loop: undefined, temperatures: [0]})
  return (await transcriber.transcribe(audio, audio.length, [], {maxNewTokens: 24})).tokens
}

async function loaded<T>(dir: string, use: (model: WhisperModel) => Promise<T>): Promise<T> {
  const model = await WhisperModel.load(dir)
  try {
    return await use(model)
  } finally {
    await model.release()
  }
}

const layouts: Array<[string, Partial<ConfigLayouts>]> = [
  ['preprocessor_config.json with mel_filters', {melFilters: true}],
  ['transformers 5 processor_config.json', {featureExtractor: 'processor'}],
  ['transformers 5 processor_config.json with mel_filters', {featureExtractor: 'processor', melFilters: true}],
  ['tokenizers ≥ 0.20 merges as pairs', {merges: 'pairs'}],
  ['added_tokens.json beside a tokenizer.json without timestamps', {addedTokensJson: true}],
  ['legacy generation_config.json', {generation: 'legacy'}],
]

describe.each([false, true])('config layouts (multilingual %s)', (multilingual) => {
  let expected: {plain: number[]; special: WhisperModel['special']; maxInitial: number | undefined}
  const language = multilingual ? 'en' : undefined

  beforeAll(async () => {
    expected = await loaded(await testModel(multilingual ? 'mini-multilingual-128' : 'mini'), async (model) => ({
      plain: await tokens(model, false, language),
      special: model.special,
      maxInitial: model.generation.maxInitialTimestampIndex,
    }))
    expect(expected.plain.length).toBeGreaterThan(0)
  })

  it.each(layouts)('%s loads and decodes as the current layout does', async (name, layout) => {
    const dir = await generate(`${multilingual ? 'ml' : 'en'}-${name.replaceAll(/\W+/g, '-')}`, layout, multilingual)
    await loaded(dir, async (model) => {
      expect(model.special).toEqual(expected.special)
      expect(await tokens(model, false, language)).toEqual(expected.plain)
      if (layout.generation === 'legacy') {
        expect(model.generation.prevSotTokenId).toBeUndefined()
        expect(model.generation.langToId).toBeUndefined()
        expect(model.generation.maxInitialTimestampIndex).toBe(1)
      } else {
        expect(model.generation.maxInitialTimestampIndex).toBe(expected.maxInitial)
      }
    })
  })
})

describe('mel_filters from the file', () => {
  it("are read in Python's [n_freq][n_mels] orientation and equal the computed filterbank", async () => {
    for (const melBins of [80, 128] as const) {
      const dir = await generateModel({out: path.join(tmp, `mel-${melBins}`), melBins, layouts: {melFilters: true}})
      const filters = await loaded(dir, async (model) => model.preprocessor.melFilters)
      const computed = melFilterBank(201, melBins, 0, 8000, 16000)
      expect(filters).toHaveLength(melBins)
      let worst = 0
      filters!.forEach((row, m) => row.forEach((value, k) => (worst = Math.max(worst, Math.abs(value - computed[m]![k]!)))))
      expect(worst).toBeLessThan(1e-9)
    }
  })

  it('are what the features are computed with (other filters, other tokens)', async () => {
    const dir = await generate('mel-scaled', {melFilters: true})
    const file = path.join(dir, 'preprocessor_config.json')
    const json = JSON.parse(await readFile(file, 'utf8')) as {mel_filters: number[][]}
    json.mel_filters = json.mel_filters.map((row, k) => row.map((v) => (k < 60 ? 0 : v * 50)))
    await writeFile(file, JSON.stringify(json))
    const plain = await loaded(await testModel('mini'), (model) => tokens(model, false))
    expect(await loaded(dir, (model) => tokens(model, false))).not.toEqual(plain)
  })
})

describe('refusals name the file and the field', () => {
  const refusal = async (dir: string): Promise<WhisperStreamError> => {
    const error = await WhisperModel.load(dir).then(
      async (model) => {
        await model.release()
        return undefined
      },
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(WhisperStreamError)
    return error as WhisperStreamError
  }

  it('processor_config.json without "feature_extractor"', async () => {
    const dir = await generate('processor-empty', {featureExtractor: 'processor'})
    await writeFile(path.join(dir, 'processor_config.json'), JSON.stringify({processor_class: 'WhisperProcessor'}))
    const error = await refusal(dir)
    expect(error.message).toContain('processor_config.json')
    expect(error.message).toContain('feature_extractor')
  })

  it('processor_config.json whose feature extractor lacks hop_length', async () => {
    const dir = await generate('processor-no-hop', {featureExtractor: 'processor'})
    const file = path.join(dir, 'processor_config.json')
    const json = JSON.parse(await readFile(file, 'utf8')) as {feature_extractor: Record<string, unknown>}
    delete json.feature_extractor['hop_length']
    await writeFile(file, JSON.stringify(json))
    const error = await refusal(dir)
    expect(error.message).toMatch(/processor_config\.json.*hop_length/)
  })

  it('neither preprocessor_config.json nor processor_config.json', async () => {
    const dir = await generate('no-feature-extractor', {featureExtractor: 'processor'})
    await rm(path.join(dir, 'processor_config.json'))
    const error = await refusal(dir)
    expect(error.code).toBe('model-missing')
    expect(error.message).toContain('preprocessor_config.json')
  })

  it('added_tokens.json with an id that is not a number', async () => {
    const dir = await generate('added-bad', {addedTokensJson: true})
    await writeFile(path.join(dir, 'added_tokens.json'), JSON.stringify({'<|0.00|>': 'x'}))
    const error = await refusal(dir)
    expect(error.message).toContain('added_tokens.json')
    expect(error.message).toContain('<|0.00|>')
  })

  it('mel_filters of the wrong shape', async () => {
    const dir = await generate('mel-bad', {melFilters: true})
    const file = path.join(dir, 'preprocessor_config.json')
    const json = JSON.parse(await readFile(file, 'utf8')) as {mel_filters: number[][]}
    json.mel_filters = json.mel_filters.slice(1)
    await writeFile(file, JSON.stringify(json))
    const error = await refusal(dir)
    expect(error.message).toMatch(/preprocessor_config\.json.*mel_filters/)
  })
})
