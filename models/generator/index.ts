// generateModel(): writes a Whisper-architecture model with seeded random (or committed trained) weights in the
// Hugging Face ONNX export layout (config + tokenizer files, onnx/encoder_model.onnx, decoder files).
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {configJson, generationConfigJson, preprocessorConfigJson} from './config-files.js'
import {buildDecoder, type DecoderKind} from './decoder-graph.js'
import {buildEncoder} from './encoder-graph.js'
import {ggmlFileName, ggmlWhisperModel} from './ggml-whisper.js'
import type {GraphBuilder} from './onnx-graph.js'
import {encodeVariant, VARIANT_SUFFIX} from './variants.js'
import {addedTokensJson, DEFAULT_LAYOUTS, legacyGenerationConfig, melFiltersPython, processorConfigJson} from './layouts.js'
import {DEFAULT_OPTIONS, PRESETS, TRAINED_WEIGHTS, type GenerateOptions} from './presets.js'
import {specialTokens} from './special-tokens.js'
import {tokenizerConfig, tokenizerJson} from './tokenizer-files.js'
import {TrainedWeights} from './trained-weights.js'
import {WeightFactory} from './weights.js'

export {GENERATOR_DTYPES, VARIANT_SUFFIX, isGeneratorDtype, type GeneratorDtype} from './variants.js'
export {DEFAULT_LAYOUTS, type ConfigLayouts} from './layouts.js'
export {GGML_FTYPES, ggmlFileName, type GgmlFtype} from './ggml-whisper.js'
export {trainedWeightsTag} from './trained-weights.js'
export {TRAINED_WEIGHTS, GENERATOR_VERSION, PRESETS, type GenerateOptions, type PresetName, type DecoderLayout} from './presets.js'

const json = (value: object): string => JSON.stringify(value, null, 2) + '\n'

/** Generates the model into `options.out` and returns that directory. */
export async function generateModel(options: GenerateOptions): Promise<string> {
  const o = {...DEFAULT_OPTIONS, ...withoutUndefined(options)}
  const dims = PRESETS[o.preset]
  if (!dims) throw new Error(`Unknown preset "${o.preset}"; use one of: ${Object.keys(PRESETS).join(', ')}`)
  if (o.melBins !== 80 && o.melBins !== 128) throw new Error(`melBins must be 80 or 128, got ${String(o.melBins)}`)
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${String(o.seed)}`)
  const special = specialTokens(o.multilingual, o.multilingual && o.melBins === 128 ? 100 : 99)
  const trainedFile = TRAINED_WEIGHTS[o.preset]
  if (trainedFile && (o.melBins !== 80 || o.multilingual)) throw new Error(`preset ${o.preset} is trained for 80 mel bins and English only`)
  const weights = trainedFile ? new TrainedWeights(trainedFile) : new WeightFactory(o.seed)
  if (weights instanceof TrainedWeights) weights.assertDims(dims)
  const out = path.resolve(options.out)
  await mkdir(path.join(out, 'onnx'), {recursive: true})

  const layouts = {...DEFAULT_LAYOUTS, ...options.layouts}
  await writeFile(path.join(out, 'config.json'), json(configJson(dims, o.melBins, special)))
  const generation = generationConfigJson(dims, special, weights instanceof TrainedWeights ? weights.alignmentHeads : undefined)
  await writeFile(
    path.join(out, 'generation_config.json'),
    json(layouts.generation === 'legacy' ? legacyGenerationConfig(generation, special) : generation),
  )
  const preprocessor = {...preprocessorConfigJson(o.melBins), ...(layouts.melFilters ? {mel_filters: melFiltersPython(o.melBins)} : {})}
  if (layouts.featureExtractor === 'processor')
    await writeFile(path.join(out, 'processor_config.json'), json(processorConfigJson(preprocessor)))
  else await writeFile(path.join(out, 'preprocessor_config.json'), json(preprocessor))
  const tokenizerLayout = {merges: layouts.merges, withoutTimestamps: layouts.addedTokensJson}
  await writeFile(path.join(out, 'tokenizer.json'), JSON.stringify(tokenizerJson(special, tokenizerLayout)))
  await writeFile(path.join(out, 'tokenizer_config.json'), json(tokenizerConfig(special, tokenizerLayout)))
  if (layouts.addedTokensJson) await writeFile(path.join(out, 'added_tokens.json'), json(addedTokensJson(special)))

  // Every variant comes from the same fp32 graphs, so they differ only by how they store the weights.
  const dtypes = options.dtypes ?? ['fp32']
  const variantOptions = {float16Io: options.float16Io}
  const write = async (file: string, graph: ReturnType<GraphBuilder['build']>): Promise<void> => {
    for (const dtype of dtypes)
      await writeFile(path.join(out, 'onnx', `${file}${VARIANT_SUFFIX[dtype]}.onnx`), encodeVariant(graph, dtype, variantOptions))
  }
  await write('encoder_model', buildEncoder(dims, o.melBins, weights).build())
  const decoders: Array<[string, DecoderKind]> =
    o.layout === 'split'
      ? [
          ['decoder_model', 'no-past'],
          ['decoder_with_past_model', 'with-past'],
        ]
      : [['decoder_model_merged', 'merged']]
  for (const [file, kind] of decoders)
    await write(file, buildDecoder(kind, dims, special.vocabSize, weights, o.logitGain, o.timestamped).build())
  for (const ftype of options.ggml ?? []) {
    await writeFile(
      path.join(out, ggmlFileName(ftype)),
      ggmlWhisperModel({dims, melBins: o.melBins, special, weights, ftype, logitGain: o.logitGain}),
    )
  }
  if (weights instanceof TrainedWeights) weights.assertAllUsed()
  return out
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
