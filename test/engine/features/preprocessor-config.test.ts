import {describe, expect, it} from 'vitest'

import {WhisperStreamError} from '../../../src/engine/errors.js'
import {parsePreprocessorConfig} from '../../../src/engine/features/preprocessor-config.js'
import {whisperConfigJson} from './reference.js'

const FILE = '/models/tiny/preprocessor_config.json'

function errorOf(fn: () => unknown): WhisperStreamError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WhisperStreamError)
    return error as WhisperStreamError
  }
  throw new Error('expected a throw')
}

describe('parsePreprocessorConfig', () => {
  it('reads the Whisper fields', () => {
    expect(parsePreprocessorConfig(whisperConfigJson(128), FILE)).toEqual({
      featureSize: 128,
      hopLength: 160,
      nFft: 400,
      nSamples: 480000,
      nbMaxFrames: 3000,
      samplingRate: 16000,
      chunkLength: 30,
      paddingValue: 0,
    })
  })

  it('derives n_samples and nb_max_frames when absent', () => {
    const json = whisperConfigJson(80)
    delete json.n_samples
    delete json.nb_max_frames
    const config = parsePreprocessorConfig(json, FILE)
    expect(config.nSamples).toBe(480000)
    expect(config.nbMaxFrames).toBe(3000)
  })

  it.each([
    ['feature_size', undefined],
    ['feature_size', 80.5],
    ['hop_length', '160'],
    ['n_fft', 0],
    ['sampling_rate', -16000],
    ['chunk_length', null],
    ['padding_value', 'zero'],
    ['nb_max_frames', 3001],
  ])('names the file and key %s when it is %j', (key, value) => {
    const json = {...whisperConfigJson(80), [key]: value}
    if (value === undefined) delete json[key]
    const error = errorOf(() => parsePreprocessorConfig(json, FILE))
    expect(error.code).toBe('model-corrupt')
    expect(error.details).toBeUndefined()
    expect(error.message).toContain(FILE)
    expect(error.message).toContain(`"${key}"`)
  })

  it('rejects a non-object', () => {
    const error = errorOf(() => parsePreprocessorConfig([1, 2], FILE))
    expect(error.code).toBe('model-corrupt')
    expect(error.message).toContain(FILE)
  })

  it('accepts mel_filters mel-major or frequency-major, and stores them mel-major', () => {
    const melMajor = Array.from({length: 80}, (_, m) => Array.from({length: 201}, (_, k) => m * 1000 + k))
    const freqMajor = Array.from({length: 201}, (_, k) => Array.from({length: 80}, (_, m) => m * 1000 + k))
    for (const filters of [melMajor, freqMajor]) {
      const config = parsePreprocessorConfig({...whisperConfigJson(80), mel_filters: filters}, FILE)
      expect(config.melFilters).toHaveLength(80)
      expect(config.melFilters![3]).toHaveLength(201)
      expect(config.melFilters![3][7]).toBe(3007)
    }
  })

  it('rejects mel_filters of the wrong shape or with non-numbers', () => {
    const wrongShape = Array.from({length: 80}, () => new Array(200).fill(0))
    const ragged = Array.from({length: 80}, (_, m) => new Array(m === 5 ? 3 : 201).fill(0))
    const nonNumber = Array.from({length: 80}, () => new Array(201).fill('x'))
    for (const filters of [wrongShape, ragged, nonNumber, 'nope']) {
      const error = errorOf(() => parsePreprocessorConfig({...whisperConfigJson(80), mel_filters: filters}, FILE))
      expect(error.code).toBe('model-corrupt')
      expect(error.message).toContain('"mel_filters"')
    }
  })
})
