// Models sweep (issue 8): a damaged model directory is a named error at load (the code says what kind, the
// message names the file), and through the CLI one line and exit 4, never a crash at the first step.
import {cp, mkdtemp, readFile, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WhisperStreamError} from '../../src/engine/errors.js'
import {WhisperModel} from '../../src/engine/model/whisper-model.js'
import {speech} from '../helpers/audio-fixtures.js'
import {cli, ensureBuilt, expectOneLineError} from '../helpers/cli.js'
import {testModel} from '../helpers/test-models.js'

let mini: string
let multilingual: string
let work: string
let wav: string
let count = 0

beforeAll(async () => {
  await ensureBuilt()
  mini = await testModel('mini')
  multilingual = await testModel('mini-multilingual-128')
  wav = await speech('a damaged model.')
  work = await mkdtemp(path.join(tmpdir(), 'ws-models-'))
})
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
})

type Damage = (dir: string) => Promise<unknown>

/** A copy of the mini model with `damage` done to it. */
async function damaged(damage: Damage): Promise<string> {
  const dir = path.join(work, `model-${count++}`)
  await cp(mini, dir, {recursive: true})
  await damage(dir)
  return dir
}

const editJson =
  (file: string, edit: (json: Record<string, unknown>) => void): Damage =>
  async (dir) => {
    const json = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Record<string, unknown>
    edit(json)
    await writeFile(path.join(dir, file), JSON.stringify(json))
  }
const halve =
  (file: string): Damage =>
  async (dir) => {
    const size = (await readFile(path.join(dir, file))).length
    await truncate(path.join(dir, file), Math.floor(size / 2))
  }
const fromMultilingual =
  (file: string): Damage =>
  (dir) =>
    cp(path.join(multilingual, file), path.join(dir, file))

/** [case, damage, code, file the message must name] */
const cases: Array<[string, Damage, string, string]> = [
  ...[
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'onnx/encoder_model.onnx',
    'onnx/decoder_model_merged.onnx',
  ].map((file): [string, Damage, string, string] => [`missing ${file}`, (dir) => rm(path.join(dir, file)), 'model-missing', file]),
  ['truncated encoder .onnx', halve('onnx/encoder_model.onnx'), 'model-corrupt', 'encoder_model.onnx'],
  ['truncated decoder .onnx', halve('onnx/decoder_model_merged.onnx'), 'model-corrupt', 'decoder_model_merged.onnx'],
  [
    'empty decoder .onnx',
    (dir) => truncate(path.join(dir, 'onnx/decoder_model_merged.onnx'), 0),
    'model-corrupt',
    'decoder_model_merged.onnx',
  ],
  ['config.json not JSON', (dir) => writeFile(path.join(dir, 'config.json'), '{"d_model": 6'), 'model-corrupt', 'config.json'],
  ['tokenizer.json without a model', (dir) => writeFile(path.join(dir, 'tokenizer.json'), '{}'), 'model-corrupt', 'tokenizer.json'],
  [
    'decoder_layers + 1',
    editJson('config.json', (j) => void (j['decoder_layers'] = Number(j['decoder_layers']) + 1)),
    'model-mismatch',
    'decoder_model_merged.onnx',
  ],
  [
    'decoder_layers - 1',
    editJson('config.json', (j) => void (j['decoder_layers'] = Number(j['decoder_layers']) - 1)),
    'model-mismatch',
    'decoder_model_merged.onnx',
  ],
  ['d_model × 2', editJson('config.json', (j) => void (j['d_model'] = Number(j['d_model']) * 2)), 'model-mismatch', 'encoder_model.onnx'],
  [
    'decoder heads × 2',
    editJson('config.json', (j) => void (j['decoder_attention_heads'] = Number(j['decoder_attention_heads']) * 2)),
    'model-mismatch',
    'decoder_model_merged.onnx',
  ],
  [
    'vocab_size + 10',
    editJson('config.json', (j) => void (j['vocab_size'] = Number(j['vocab_size']) + 10)),
    'model-mismatch',
    'decoder_model_merged.onnx',
  ],
  [
    'max_source_positions halved',
    editJson('config.json', (j) => void (j['max_source_positions'] = 750)),
    'model-mismatch',
    'encoder_model.onnx',
  ],
  [
    'num_mel_bins 128 in config.json only',
    editJson('config.json', (j) => void (j['num_mel_bins'] = 128)),
    'model-mismatch',
    'preprocessor_config.json',
  ],
  [
    'num_mel_bins 128 in config and preprocessor on an 80-bin graph',
    async (dir) => {
      await editJson('config.json', (j) => void (j['num_mel_bins'] = 128))(dir)
      await editJson('preprocessor_config.json', (j) => {
        j['feature_size'] = 128
        delete j['mel_filters']
      })(dir)
    },
    'model-mismatch',
    'encoder_model.onnx',
  ],
  ['tokenizer.json of the multilingual model', fromMultilingual('tokenizer.json'), 'model-mismatch', 'tokenizer.json'],
  ['generation_config.json of the multilingual model', fromMultilingual('generation_config.json'), 'model-mismatch', 'tokenizer.json'],
  ['encoder of the 128-bin model', fromMultilingual('onnx/encoder_model.onnx'), 'model-mismatch', 'encoder_model.onnx'],
  ['decoder of the multilingual model', fromMultilingual('onnx/decoder_model_merged.onnx'), 'model-mismatch', 'decoder_model_merged.onnx'],
]

describe('WhisperModel.load on a damaged model', () => {
  it.each(cases)('%s', async (_name, damage, code, file) => {
    const dir = await damaged(damage)
    const error = await WhisperModel.load(dir).then(
      (model) => model.release().then(() => undefined),
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(WhisperStreamError)
    expect((error as WhisperStreamError).code).toBe(code)
    expect((error as WhisperStreamError).message).toContain(path.basename(file))
  })

  it('the undamaged copy loads', async () => {
    const model = await WhisperModel.load(await damaged(async () => undefined))
    await model.release()
  })
})

describe('transcribe with a damaged model: one line, exit 4', () => {
  // One of each kind through the built CLI (each start costs a model load).
  const picked = cases.filter(([name]) =>
    [
      'missing generation_config.json',
      'missing onnx/encoder_model.onnx',
      'truncated decoder .onnx',
      'd_model × 2',
      'tokenizer.json of the multilingual model',
      'num_mel_bins 128 in config and preprocessor on an 80-bin graph',
    ].includes(name),
  )
  it.each(picked)('%s', async (_name, damage, _code, file) => {
    const dir = await damaged(damage)
    expectOneLineError(await cli(['transcribe', wav, '--model', dir]), 4, new RegExp(path.basename(file).replaceAll('.', '\\.')))
  })
})
