// Generated Whisper-architecture test models, built once per generator version and shared by all tests.
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {
  generateModel,
  GENERATOR_DTYPES,
  GENERATOR_VERSION,
  TRAINED_WEIGHTS,
  trainedWeightsTag,
  type GenerateOptions,
} from '../../models/generator/index.js'

export type TestModelName =
  | 'mini'
  | 'mini-split'
  | 'mini-multilingual-128'
  | 'tiny-shaped'
  | 'trained-mini'
  | 'mini-variants'
  | 'mini-multilingual-128-variants'
  | 'mini-fp16-io'
  | 'mini-timestamped'
  | 'mini-split-timestamped'
  | 'mini-multilingual-timestamped'
  | 'trained-mini-timestamped'
  | 'trained-mini-q8'
  | 'mini-split-q8'

const SPECS: Record<TestModelName, Omit<GenerateOptions, 'out'>> = {
  mini: {preset: 'mini', seed: 1},
  'mini-split': {preset: 'mini', seed: 1, layout: 'split'},
  'mini-multilingual-128': {preset: 'mini', seed: 1, multilingual: true, melBins: 128},
  'tiny-shaped': {preset: 'tiny-shaped', seed: 1},
  // Built from the committed weights in models/trained/ (never trained here).
  'trained-mini': {preset: 'trained-mini'},
  // Every weight variant the hub publishes, from the weights of mini / mini-multilingual-128.
  'mini-variants': {preset: 'mini', seed: 1, dtypes: GENERATOR_DTYPES},
  'mini-multilingual-128-variants': {preset: 'mini', seed: 1, multilingual: true, melBins: 128, dtypes: GENERATOR_DTYPES},
  // fp16 as Optimum exports it: float16 graph inputs and outputs.
  'mini-fp16-io': {preset: 'mini', seed: 1, dtypes: ['fp16'], float16Io: true},
  // onnx-community's *_timestamped layout: the decoder also outputs cross_attentions.N (word timestamps by DTW).
  'mini-timestamped': {preset: 'mini', seed: 1, timestamped: true},
  'mini-split-timestamped': {preset: 'mini', seed: 1, layout: 'split', timestamped: true},
  'mini-multilingual-timestamped': {preset: 'mini', seed: 1, multilingual: true, timestamped: true},
  'trained-mini-timestamped': {preset: 'trained-mini', timestamped: true},
  'trained-mini-q8': {preset: 'trained-mini', dtypes: ['fp32', 'q8']},
  'mini-split-q8': {preset: 'mini', seed: 1, layout: 'split', dtypes: ['fp32', 'q8']},
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const testModelsRoot = path.join(repoRoot, '.cache', 'test-models')

const pending = new Map<TestModelName, Promise<string>>()

/** Directory of a generated test model: `<repo>/.cache/test-models/<name>-v<version>[-<weights hash>]/`. */
export function testModelDir(name: TestModelName): string {
  const weights = TRAINED_WEIGHTS[SPECS[name].preset ?? 'mini']
  return path.join(testModelsRoot, `${name}-v${GENERATOR_VERSION}${weights ? `-${trainedWeightsTag(weights)}` : ''}`)
}

/**
 * Returns the test model's directory, generating it on first use. Generation goes to a private
 * temp folder that is renamed into place, so the folder is complete whenever it exists, and two
 * workers racing each other both end up with the same (first-renamed) folder.
 */
export function testModel(name: TestModelName): Promise<string> {
  if (!(name in SPECS)) return Promise.reject(new Error(`Unknown test model "${name}"`))
  let result = pending.get(name)
  if (!result) {
    result = build(name)
    result.catch(() => pending.delete(name))
    pending.set(name, result)
  }
  return result
}

async function build(name: TestModelName): Promise<string> {
  const dir = testModelDir(name)
  if (existsSync(dir)) return dir
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await generateModel({...SPECS[name], out: tmp})
    await rename(tmp, dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // Another worker renamed its copy first: theirs is complete and identical.
    if (!((code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') && existsSync(dir))) throw error
  } finally {
    await rm(tmp, {recursive: true, force: true})
  }
  return dir
}
