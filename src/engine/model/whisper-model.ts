import {basename} from 'node:path'
import {WhisperStreamError} from '../errors.js'
import {float32ToHalf, halfToFloat32} from '../runtime/float16.js'
import {createSession, inputType, Tensor, type Session, type SessionOptions} from '../runtime/onnx.js'
import {timed} from '../timings.js'
import type {PreprocessorConfig} from '../features/preprocessor-config.js'
import {EncoderBatcher} from './encoder-batcher.js'
import {readFeatureExtractorConfig} from './feature-extractor-file.js'
import type {DecoderSessions, DecoderShape} from '../decode/decoder-runner.js'
import {findModelFiles, type Dtype, type DtypeChoice, type ModelFiles} from './model-files.js'
import {parseGenerationConfig, parseWhisperConfig, readJsonFile, type GenerationConfig, type WhisperConfig} from './model-config.js'
import {readSpecialTokens, type SpecialTokens} from './special-tokens.js'
import {WhisperTokenizer} from './tokenizer.js'

/**
 * Variants whose decoder dequantizes an 8-bit embedding in the graph (onnxruntime's dynamic quantizer, as
 * transformers.js builds them): their decoders fold it at load (docs/bench.md, whisper.cpp section). 4-bit
 * variants keep a float embedding; the option is left off where it was not measured.
 */
const DEQUANTIZED_EMBEDDING: ReadonlySet<Dtype> = new Set(['q8', 'int8', 'uint8'])

export interface LoadOptions {
  /** One variant for both parts, or one each (default fp32). */
  dtype?: DtypeChoice
  threads?: number
  /**
   * 8-bit decoders: compute the logits from the 8-bit embedding (runtime/int8-logits.ts; default on).
   * Off, they take the float product the file describes, as transformers.js computes it.
   */
  int8Logits?: boolean
  /**
   * Up to this many windows per encoder pass: streams whose steps run at once (a server's concurrency)
   * share a pass (encoder-batcher.ts). Default 1, every window its own pass.
   */
  encoderBatch?: number
}

/**
 * A loaded Whisper model: its files, settings and ONNX sessions. Sessions are shared by every
 * stream that uses the model; per-stream state (mel buffers, KV caches) lives elsewhere.
 */
export class WhisperModel {
  #batcher: EncoderBatcher | undefined

  private constructor(
    readonly name: string,
    readonly files: ModelFiles,
    readonly config: WhisperConfig,
    readonly generation: GenerationConfig,
    readonly preprocessor: PreprocessorConfig,
    readonly tokenizer: WhisperTokenizer,
    readonly special: SpecialTokens,
    readonly encoder: Session,
    readonly decoderSessions: DecoderSessions,
  ) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<WhisperModel> {
    const files = await findModelFiles(dir, options.dtype ?? 'fp32')
    const configJson = (await readJsonFile(dir, 'config.json'))!
    const config = parseWhisperConfig(configJson)
    // Required: without it a multilingual model would silently decode as English-only (no lang_to_id).
    const generation = parseGenerationConfig(await readJsonFile(dir, 'generation_config.json'), configJson)
    const preprocessor = await readFeatureExtractorConfig(dir)
    if (preprocessor.featureSize !== config.melBins) {
      throw new WhisperStreamError(
        'model-mismatch',
        `the feature extractor (preprocessor_config.json) has feature_size ${preprocessor.featureSize} but config.json has num_mel_bins ${config.melBins}`,
        {hint: 'the files come from different models; pull the model again'},
      )
    }
    const tokenizer = await timed('tokenizer', () => WhisperTokenizer.load(dir))
    if (tokenizer.size > config.vocabSize) {
      throw new WhisperStreamError(
        'model-mismatch',
        `tokenizer.json has ${tokenizer.size} tokens but config.json's vocab_size is ${config.vocabSize}`,
        {
          hint: 'the tokenizer belongs to another model; pull the model again',
        },
      )
    }
    const special = readSpecialTokens(generation, config, tokenizer)
    const sessionOptions = {threads: options.threads}
    const session = (name: string, path: string, extra: SessionOptions = {}): Promise<Session> =>
      timed(`session ${name}`, () => createSession(path, {...sessionOptions, ...extra}))
    const encoder = await session('encoder', files.encoder, {spin: false})
    const eightBit = DEQUANTIZED_EMBEDDING.has(files.dtype.decoder)
    const decoderOptions = {foldDequantize: eightBit, int8Logits: eightBit && options.int8Logits !== false}
    const decoderSessions: DecoderSessions =
      files.decoder.layout === 'merged'
        ? {layout: 'merged', merged: await session('decoder', files.decoder.merged, decoderOptions)}
        : {
            layout: 'split',
            decoder: await session('decoder', files.decoder.decoder, decoderOptions),
            decoderWithPast: await session('decoder with past', files.decoder.decoderWithPast, decoderOptions),
          }
    const model = new WhisperModel(basename(dir), files, config, generation, preprocessor, tokenizer, special, encoder, decoderSessions)
    if ((options.encoderBatch ?? 1) > 1)
      model.#batcher = new EncoderBatcher((features) => model.#runEncoder(features), options.encoderBatch!)
    try {
      model.#checkGraphs()
    } catch (error) {
      await model.release() // a long-lived process (serve) must not keep the native sessions of a rejected model
      throw error
    }
    return model
  }

  get decoderShape(): DecoderShape {
    const {decoderLayers, decoderHeads, dModel} = this.config
    return {layers: decoderLayers, heads: decoderHeads, headDim: dModel / decoderHeads}
  }

  /** Frames of log-mel the encoder takes: 2 × max_source_positions (3000 for 30 s). */
  get inputFrames(): number {
    return this.config.maxSourcePositions * 2
  }

  /** Seconds one timestamp step stands for (0.02 s): two mel hops per encoder position. */
  get timePrecisionSamples(): number {
    return (this.preprocessor.hopLength * this.inputFrames) / this.config.maxSourcePositions
  }

  /**
   * The encoder input for a reused log-mel buffer: build once per buffer, `update()` after each
   * compute (a no-op for float32 models; float16 models get the buffer converted into the tensor).
   */
  featuresInput(features: Float32Array): {tensor: Tensor; update: () => void} {
    const dims = [1, this.config.melBins, this.inputFrames]
    if (inputType(this.encoder, 'input_features') === 'float16') {
      const half = new Uint16Array(features.length)
      return {tensor: new Tensor('float16', half, dims), update: () => void float32ToHalf(features, half)}
    }
    return {tensor: new Tensor('float32', features, dims), update: () => {}}
  }

  /** Encoder passes run and windows they encoded, when windows are batched. */
  get encoderBatches(): {passes: number; windows: number} | undefined {
    return this.#batcher && {passes: this.#batcher.passes, windows: this.#batcher.windows}
  }

  async encode(features: Tensor): Promise<Tensor> {
    const hidden = await (this.#batcher ? this.#batcher.encode(features) : this.#runEncoder(features))
    // Per-part dtypes can pair an encoder that outputs float16 (Optimum's fp16 export) with a
    // decoder that takes float32, or the reverse: convert once per window, never per token.
    const wanted = inputType(this.#firstDecoder, 'encoder_hidden_states')
    if (hidden.type === wanted) return hidden
    return hidden.type === 'float16'
      ? new Tensor('float32', halfToFloat32(hidden.data as Uint16Array, new Float32Array(hidden.size)), hidden.dims)
      : new Tensor('float16', float32ToHalf(hidden.data as Float32Array, new Uint16Array(hidden.size)), hidden.dims)
  }

  async #runEncoder(features: Tensor): Promise<Tensor> {
    return (await this.encoder.run({input_features: features}, ['last_hidden_state']))['last_hidden_state']!
  }

  get #firstDecoder(): Session {
    return this.decoderSessions.layout === 'merged' ? this.decoderSessions.merged : this.decoderSessions.decoder
  }

  async release(): Promise<void> {
    const sessions =
      this.decoderSessions.layout === 'merged'
        ? [this.decoderSessions.merged]
        : [this.decoderSessions.decoder, this.decoderSessions.decoderWithPast]
    await Promise.all([this.encoder, ...sessions].map((session) => session.release()))
  }

  /** Config and graph must agree; finding out at load beats a shape error at step 30. */
  #checkGraphs(): void {
    const expect = (session: Session, names: string[], file: string): void => {
      for (const name of names) {
        if (!session.inputNames.includes(name)) {
          throw new WhisperStreamError('model-mismatch', `${file} has no input "${name}"`, {
            hint: 'the ONNX file does not match config.json (layers, layout); pull the model again',
          })
        }
      }
    }
    const {melBins, maxSourcePositions, dModel, decoderHeads, vocabSize} = this.config
    const headDim = dModel / decoderHeads
    expect(this.encoder, ['input_features'], this.files.encoder)
    const encoderDims = (name: string, dims: DimCheck[]): void => checkDims(this.encoder, name, dims, this.files.encoder)
    encoderDims('input_features', [
      [1, melBins, 'num_mel_bins'],
      [2, this.inputFrames, '2 × max_source_positions'],
    ])
    encoderDims('last_hidden_state', [
      [1, maxSourcePositions, 'max_source_positions'],
      [2, dModel, 'd_model'],
    ])
    const last = this.config.decoderLayers - 1
    const past = [`past_key_values.${last}.decoder.key`, `past_key_values.${last}.encoder.value`]
    const pastDims: DimCheck[] = [
      [1, decoderHeads, 'decoder_attention_heads'],
      [3, headDim, 'd_model / decoder_attention_heads'],
    ]
    const decoderDims = (session: Session, file: string, withPast: boolean): void => {
      checkDims(session, 'encoder_hidden_states', [[2, dModel, 'd_model']], file)
      checkDims(session, 'logits', [[2, vocabSize, 'vocab_size']], file)
      if (withPast) checkDims(session, 'past_key_values.0.decoder.key', pastDims, file)
    }
    if (this.decoderSessions.layout === 'merged') {
      const file = this.files.decoder.layout === 'merged' ? this.files.decoder.merged : 'decoder_model_merged'
      expect(this.decoderSessions.merged, ['input_ids', 'encoder_hidden_states', 'use_cache_branch', ...past], file)
      if (this.decoderSessions.merged.inputNames.includes(`past_key_values.${last + 1}.decoder.key`)) {
        throw new WhisperStreamError(
          'model-mismatch',
          `${file} has more decoder layers than config.json's decoder_layers (${this.config.decoderLayers})`,
          {
            hint: 'config.json belongs to another model; pull the model again',
          },
        )
      }
      decoderDims(this.decoderSessions.merged, file, true)
    } else {
      const [decoder, withPast] =
        this.files.decoder.layout === 'split'
          ? [this.files.decoder.decoder, this.files.decoder.decoderWithPast]
          : ['decoder_model', 'decoder_with_past_model']
      expect(this.decoderSessions.decoder, ['input_ids', 'encoder_hidden_states'], decoder)
      expect(this.decoderSessions.decoderWithPast, ['input_ids', ...past], withPast)
      decoderDims(this.decoderSessions.decoder, decoder, false)
      decoderDims(this.decoderSessions.decoderWithPast, withPast, true)
    }
  }
}

/** [axis, value config.json implies, the config key(s) it comes from] */
type DimCheck = [number, number, string]

/**
 * Checks the fixed (numeric) sizes an ONNX input or output declares against config.json; symbolic
 * sizes ("batch_size") and values the runtime does not describe are skipped.
 */
function checkDims(session: Session, name: string, dims: DimCheck[], file: string): void {
  const meta = [...session.inputMetadata, ...session.outputMetadata].find((m) => m.name === name)
  if (!meta || !meta.isTensor) return
  for (const [axis, expected, key] of dims) {
    const actual = meta.shape[axis]
    if (typeof actual === 'number' && actual > 0 && actual !== expected) {
      throw new WhisperStreamError(
        'model-mismatch',
        `${file}: "${name}" has size ${actual} on axis ${axis} but config.json gives ${key} = ${expected}`,
        {
          hint: 'the ONNX file and config.json come from different models; pull the model again',
        },
      )
    }
  }
}
