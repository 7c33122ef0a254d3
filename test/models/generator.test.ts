import {mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import {Tokenizer} from '@huggingface/tokenizers'
import {AutoModelForSpeechSeq2Seq, AutoTokenizer, env, Tensor} from '@huggingface/transformers'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateModel} from '../../models/generator/index.js'
import {testModel, type TestModelName} from '../helpers/test-models.js'

const HEADS = 2
const HEAD_DIM = 32
const LAYERS = 2

const readJson = async (file: string): Promise<any> => JSON.parse(await readFile(file, 'utf8'))

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const rel = path.join(prefix, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)))
    else out.push(rel)
  }
  return out.sort()
}

/** Deterministic pseudo-audio features: different `kind` → clearly different input. */
function features(mels: number, kind: number): Float32Array {
  return new Float32Array(mels * 3000).map((_, i) => (kind === 0 ? Math.sin(i * 0.01) : Math.cos(i * 0.37) * 2 + ((i % 3000) / 3000 - 0.5)))
}

const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length])
const emptyCache = () => new ort.Tensor('float32', new Float32Array(0), [1, HEADS, 0, HEAD_DIM])
const kvNames = (prefix: string, i: number, part: 'decoder' | 'encoder') =>
  (['key', 'value'] as const).map((t) => `${prefix}.${i}.${part}.${t}`)

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('generateModel', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'gen-test-'))
  })
  afterAll(async () => {
    await rm(tmp, {recursive: true, force: true})
  })

  it('is deterministic: same seed gives the same bytes, another seed other weights', async () => {
    const a = await generateModel({out: path.join(tmp, 'a'), seed: 7})
    const b = await generateModel({out: path.join(tmp, 'b'), seed: 7})
    const c = await generateModel({out: path.join(tmp, 'c'), seed: 8})
    const files = await listFiles(a)
    expect(await listFiles(b)).toEqual(files)
    for (const f of files) expect((await readFile(path.join(b, f))).equals(await readFile(path.join(a, f))), f).toBe(true)
    const enc = 'onnx/encoder_model.onnx'
    expect((await readFile(path.join(c, enc))).equals(await readFile(path.join(a, enc)))).toBe(false)
  })

  it('writes the Hugging Face layout, merged or split', async () => {
    const common = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json']
    expect(await listFiles(await testModel('mini'))).toEqual(
      [...common, 'onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx'].sort(),
    )
    expect(await listFiles(await testModel('mini-split'))).toEqual(
      [...common, 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx', 'onnx/encoder_model.onnx'].sort(),
    )
  })

  it('writes config files with Whisper special-token ids', async () => {
    const en = await testModel('mini')
    const config = await readJson(path.join(en, 'config.json'))
    expect(config).toMatchObject({
      model_type: 'whisper',
      d_model: 64,
      num_mel_bins: 80,
      vocab_size: 51864,
      decoder_start_token_id: 50257,
      eos_token_id: 50256,
    })
    const gen = await readJson(path.join(en, 'generation_config.json'))
    expect(gen).toMatchObject({
      no_timestamps_token_id: 50362,
      prev_sot_token_id: 50360,
      begin_suppress_tokens: [220, 50256],
      is_multilingual: false,
    })
    expect(gen.suppress_tokens).toContain(1) // '"'
    const ml = await testModel('mini-multilingual-128')
    expect(await readJson(path.join(ml, 'config.json'))).toMatchObject({num_mel_bins: 128, vocab_size: 51866, eos_token_id: 50257})
    const mlGen = await readJson(path.join(ml, 'generation_config.json'))
    expect(Object.keys(mlGen.lang_to_id)).toHaveLength(100)
    expect(mlGen).toMatchObject({
      decoder_start_token_id: 50258,
      no_timestamps_token_id: 50364,
      task_to_id: {translate: 50359, transcribe: 50360},
    })
    expect(mlGen.lang_to_id['<|en|>']).toBe(50259)
    expect(mlGen.lang_to_id['<|yue|>']).toBe(50358)
    expect((await readJson(path.join(ml, 'preprocessor_config.json'))).feature_size).toBe(128)
  })
})

describe('tokenizer files', () => {
  for (const [name, sot, eot, noTs, ts0] of [
    ['mini', 50257, 50256, 50362, 50363],
    ['mini-multilingual-128', 50258, 50257, 50364, 50365],
  ] as const) {
    it(`round-trips text and keeps Whisper's ids (${name})`, async () => {
      const dir = await testModel(name)
      const tok = new Tokenizer(await readJson(path.join(dir, 'tokenizer.json')), await readJson(path.join(dir, 'tokenizer_config.json')))
      const plain = tok.encode('Hello world.', {add_special_tokens: false}).ids
      expect(plain).toEqual([15496, 995, 13])
      expect(tok.decode(plain)).toBe('Hello world.')
      expect(tok.encode('Hello world.').ids).toEqual([sot, noTs, ...plain, eot])
      expect(tok.token_to_id('<|endoftext|>')).toBe(eot)
      expect(tok.token_to_id('<|startoftranscript|>')).toBe(sot)
      expect(tok.token_to_id('<|0.00|>')).toBe(ts0)
      expect(tok.decode([sot, noTs, ...plain, eot], {skip_special_tokens: true})).toBe('Hello world.')

      env.allowRemoteModels = false
      env.localModelPath = path.dirname(dir)
      const hf = await AutoTokenizer.from_pretrained(path.basename(dir))
      expect(hf.encode('Hello world.')).toEqual([sot, noTs, ...plain, eot])
      expect(hf.decode(plain)).toBe('Hello world.')
    })
  }
})

describe('onnxruntime sessions', () => {
  it('encoder: input_features [batch, mels, 3000] → last_hidden_state [batch, 1500, d]', async () => {
    const enc = await ort.InferenceSession.create(path.join(await testModel('mini'), 'onnx/encoder_model.onnx'))
    expect(enc.inputNames).toEqual(['input_features'])
    expect(enc.outputNames).toEqual(['last_hidden_state'])
    expect((enc.inputMetadata[0] as any).shape).toEqual(['batch_size', 80, 3000])
    const a = await enc.run({input_features: new ort.Tensor('float32', features(80, 0), [1, 80, 3000])})
    const b = await enc.run({input_features: new ort.Tensor('float32', features(80, 1), [1, 80, 3000])})
    expect(a.last_hidden_state.dims).toEqual([1, 1500, 64])
    expect(maxAbsDiff(a.last_hidden_state.data as Float32Array, b.last_hidden_state.data as Float32Array)).toBeGreaterThan(0.1)
  })

  it('merged decoder: names, shapes, and cached steps equal the uncached pass', async () => {
    const dir = await testModel('mini')
    const enc = await ort.InferenceSession.create(path.join(dir, 'onnx/encoder_model.onnx'))
    const dec = await ort.InferenceSession.create(path.join(dir, 'onnx/decoder_model_merged.onnx'))
    const past = Array.from({length: LAYERS}, (_, i) => [
      ...kvNames('past_key_values', i, 'decoder'),
      ...kvNames('past_key_values', i, 'encoder'),
    ]).flat()
    const present = Array.from({length: LAYERS}, (_, i) => [
      ...kvNames('present', i, 'decoder'),
      ...kvNames('present', i, 'encoder'),
    ]).flat()
    expect(dec.inputNames).toEqual(['input_ids', 'encoder_hidden_states', ...past, 'use_cache_branch'])
    expect(dec.outputNames).toEqual(['logits', ...present])
    const meta = Object.fromEntries(dec.inputMetadata.map((m: any) => [m.name, m]))
    expect(meta['past_key_values.0.decoder.key'].shape).toEqual(['batch_size', HEADS, 'past_decoder_sequence_length', HEAD_DIM])
    expect(meta['past_key_values.1.encoder.value'].shape).toEqual(['batch_size', HEADS, 'encoder_sequence_length_out', HEAD_DIM])
    expect(meta['use_cache_branch']).toMatchObject({type: 'bool', shape: [1]})

    const {last_hidden_state: states} = await enc.run({input_features: new ort.Tensor('float32', features(80, 0), [1, 80, 3000])})
    const tokens = [50257, 50362, 400, 262, 995]
    const first = (n: number): Record<string, ort.Tensor> => ({
      input_ids: ids(tokens.slice(0, n)),
      encoder_hidden_states: states,
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
      ...Object.fromEntries(past.map((p) => [p, emptyCache()])),
    })
    const full = await dec.run(first(tokens.length))
    expect(full.logits.dims).toEqual([1, tokens.length, 51864])
    expect(full['present.0.decoder.key'].dims).toEqual([1, HEADS, tokens.length, HEAD_DIM])
    expect(full['present.0.encoder.key'].dims).toEqual([1, HEADS, 1500, HEAD_DIM])

    // Prompt of 2 tokens, then a multi-token step (2) and a single-token step, all with cache.
    let out = await dec.run(first(2))
    let pos = 2
    for (const step of [2, 1]) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: ids(tokens.slice(pos, pos + step)),
        encoder_hidden_states: states,
        use_cache_branch: new ort.Tensor('bool', [true], [1]),
      }
      // Cross-attention K/V come from the first (no-cache) call; cached calls return empty ones, as Optimum's merge does.
      for (const p of past)
        feeds[p] = p.includes('.encoder.') ? full[p.replace('past_key_values', 'present')] : out[p.replace('past_key_values', 'present')]
      out = await dec.run(feeds)
      const V = 51864
      const expected = (full.logits.data as Float32Array).subarray(pos * V, (pos + step) * V)
      expect(maxAbsDiff(out.logits.data as Float32Array, expected)).toBeLessThan(1e-4)
      pos += step
      expect(out['present.1.decoder.value'].dims).toEqual([1, HEADS, pos, HEAD_DIM])
      expect(out['present.1.encoder.value'].dims).toEqual([0, HEADS, 1, HEAD_DIM])
    }
  })

  it('split decoder pair: Optimum names, and the same logits as the merged decoder', async () => {
    const dir = await testModel('mini-split')
    const merged = await ort.InferenceSession.create(path.join(await testModel('mini'), 'onnx/decoder_model_merged.onnx'))
    const enc = await ort.InferenceSession.create(path.join(dir, 'onnx/encoder_model.onnx'))
    const noPast = await ort.InferenceSession.create(path.join(dir, 'onnx/decoder_model.onnx'))
    const withPast = await ort.InferenceSession.create(path.join(dir, 'onnx/decoder_with_past_model.onnx'))
    const layer = (f: (i: number) => string[]) => Array.from({length: LAYERS}, (_, i) => f(i)).flat()
    expect(noPast.inputNames).toEqual(['input_ids', 'encoder_hidden_states'])
    expect(noPast.outputNames).toEqual([
      'logits',
      ...layer((i) => [...kvNames('present', i, 'decoder'), ...kvNames('present', i, 'encoder')]),
    ])
    const pastNames = layer((i) => [...kvNames('past_key_values', i, 'decoder'), ...kvNames('past_key_values', i, 'encoder')])
    expect(withPast.inputNames).toEqual(['input_ids', ...pastNames])
    expect(withPast.outputNames).toEqual(['logits', ...layer((i) => kvNames('present', i, 'decoder'))])

    const {last_hidden_state: states} = await enc.run({input_features: new ort.Tensor('float32', features(80, 1), [1, 80, 3000])})
    const tokens = [50257, 50362, 464]
    const first = await noPast.run({input_ids: ids(tokens.slice(0, 2)), encoder_hidden_states: states})
    const feeds: Record<string, ort.Tensor> = {input_ids: ids(tokens.slice(2))}
    for (const p of pastNames) feeds[p] = first[p.replace('past_key_values', 'present')]
    const second = await withPast.run(feeds)
    const ref = await merged.run({
      input_ids: ids(tokens),
      encoder_hidden_states: states,
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
      ...Object.fromEntries(pastNames.map((p) => [p, emptyCache()])),
    })
    const V = 51864
    expect(maxAbsDiff(second.logits.data as Float32Array, (ref.logits.data as Float32Array).subarray(2 * V))).toBeLessThan(1e-4)
  })
})

describe('transformers.js', () => {
  const cases: Array<[TestModelName, number]> = [
    ['mini', 80],
    ['mini-multilingual-128', 128],
  ]
  for (const [name, mels] of cases) {
    it(`loads ${name} offline and generates tokens that depend on the audio`, async () => {
      const dir = await testModel(name)
      env.allowRemoteModels = false
      env.localModelPath = path.dirname(dir)
      const model = await AutoModelForSpeechSeq2Seq.from_pretrained(path.basename(dir), {dtype: 'fp32'})
      try {
        const run = async (kind: number): Promise<number[]> => {
          const out = await model.generate({
            inputs: new Tensor('float32', features(mels, kind), [1, mels, 3000]),
            max_new_tokens: 8,
            ...(mels === 128 ? {language: 'en'} : {}),
          } as any)
          return ((out as Tensor).tolist() as bigint[][])[0].map(Number)
        }
        const a = await run(0)
        const b = await run(1)
        const prompt = name === 'mini' ? [50257, 50362] : [50258, 50259, 50360, 50364]
        expect(a.slice(0, prompt.length)).toEqual(prompt)
        expect(a.length).toBeGreaterThan(prompt.length)
        expect(a).not.toEqual(b)
        expect(await run(0)).toEqual(a)
      } finally {
        await model.dispose()
      }
    })
  }
  it('has no stray temp folders in the test-model cache', async () => {
    const root = path.dirname(await testModel('mini'))
    expect(existsSync(root)).toBe(true)
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([])
  })
})
