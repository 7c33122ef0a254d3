// npm run make-model -- --preset mini --out DIR [--seed 1] [--mel-bins 80|128] [--multilingual] [--layout merged|split]
//   [--ggml f32,f16,q8_0] (the same weights as whisper.cpp model files) [--timestamped] (cross_attentions.N outputs)
//   weight variants: [--dtypes fp32,fp16,q8,int8,uint8,q4,q4f16,bnb4|all] [--float16-io]
//   config layouts: [--mel-filters] [--processor-config] [--legacy-generation] [--merges strings|pairs] [--added-tokens-json]
import {parseArgs} from 'node:util'
import {
  GENERATOR_DTYPES,
  GGML_FTYPES,
  generateModel,
  isGeneratorDtype,
  PRESETS,
  type DecoderLayout,
  type GgmlFtype,
  type PresetName,
} from './index.js'

const usage = [
  'usage: make-model --out DIR [--preset mini|tiny-shaped|trained-mini] [--seed N] [--mel-bins 80|128] [--multilingual] [--layout merged|split]',
  '  --dtypes LIST: weight variants to write from the same weights (fp32,fp16,q8,int8,uint8,q4,q4f16,bnb4 or all;',
  "  default fp32); --float16-io: fp16 files take and give float16 (Optimum's fp16 export) instead of float32",
  '  config layouts: --mel-filters (preprocessor_config.json carries mel_filters), --processor-config (transformers 5:',
  '  processor_config.json instead of preprocessor_config.json), --legacy-generation (2022 generation_config.json),',
  '  --merges pairs (tokenizers >= 0.20), --added-tokens-json (added_tokens.json; tokenizer.json without timestamps)',
  "  --logit-gain N: the decoder's final LayerNorm gain (default 1); ~50 gives peaked logits like a trained model's",
  "  --timestamped: the decoder also outputs cross_attentions.N, as onnx-community's *_timestamped exports (word timestamps by DTW)",
  '  --ggml f32,f16,q8_0: also write the same weights as whisper.cpp model files (ggml-model-f32.bin, ggml-model.bin, ggml-model-q8_0.bin)',
].join('\n')

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      out: {type: 'string'},
      preset: {type: 'string', default: 'mini'},
      seed: {type: 'string', default: '1'},
      'mel-bins': {type: 'string', default: '80'},
      multilingual: {type: 'boolean', default: false},
      layout: {type: 'string', default: 'merged'},
      dtypes: {type: 'string', default: 'fp32'},
      'float16-io': {type: 'boolean', default: false},
      'mel-filters': {type: 'boolean', default: false},
      'processor-config': {type: 'boolean', default: false},
      'legacy-generation': {type: 'boolean', default: false},
      merges: {type: 'string', default: 'strings'},
      'added-tokens-json': {type: 'boolean', default: false},
      ggml: {type: 'string', default: ''},
      'logit-gain': {type: 'string', default: '1'},
      timestamped: {type: 'boolean', default: false},
      help: {type: 'boolean', short: 'h', default: false},
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    return
  }
  if (!values.out) throw new Error(`--out is required\n${usage}`)
  if (!(values.preset in PRESETS)) throw new Error(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`)
  const melBins = Number(values['mel-bins'])
  if (melBins !== 80 && melBins !== 128) throw new Error('--mel-bins must be 80 or 128')
  if (values.layout !== 'merged' && values.layout !== 'split') throw new Error('--layout must be merged or split')
  if (values.merges !== 'strings' && values.merges !== 'pairs') throw new Error('--merges must be strings or pairs')
  const ggml = values.ggml ? values.ggml.split(',') : []
  for (const t of ggml)
    if (!(GGML_FTYPES as readonly string[]).includes(t)) throw new Error(`--ggml takes ${GGML_FTYPES.join(', ')} (comma-separated)`)
  const logitGain = Number(values['logit-gain'])
  if (!(logitGain > 0)) throw new Error('--logit-gain must be a positive number')
  const dtypes = values.dtypes === 'all' ? [...GENERATOR_DTYPES] : values.dtypes.split(',').map((d) => d.trim())
  const unknown = dtypes.filter((d) => !isGeneratorDtype(d))
  if (unknown.length > 0 || dtypes.length === 0)
    throw new Error(`--dtypes: unknown ${unknown.join(', ') || '(empty)'}; use ${GENERATOR_DTYPES.join(',')} or all`)
  const seed = Number(values.seed)
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer')
  const started = performance.now()
  const dir = await generateModel({
    out: values.out,
    preset: values.preset as PresetName,
    seed,
    melBins,
    multilingual: values.multilingual,
    layout: values.layout as DecoderLayout,
    dtypes: dtypes.filter(isGeneratorDtype),
    float16Io: values['float16-io'],
    layouts: {
      melFilters: values['mel-filters'],
      featureExtractor: values['processor-config'] ? 'processor' : 'preprocessor',
      generation: values['legacy-generation'] ? 'legacy' : 'current',
      merges: values.merges,
      addedTokensJson: values['added-tokens-json'],
    },
    ggml: ggml as GgmlFtype[],
    logitGain,
    timestamped: values.timestamped,
  })
  console.error(`generated ${values.preset} in ${((performance.now() - started) / 1000).toFixed(2)} s`)
  console.log(dir)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
