// config.json, generation_config.json and preprocessor_config.json as real HF Whisper repos have them.
import gpt3Encoder from 'gpt-3-encoder'
import type {ModelDims} from './presets.js'
import type {SpecialTokens} from './special-tokens.js'

/** Whisper's non-speech token recipe (whisper/tokenizer.py `non_speech_tokens`) over our BPE. */
export function nonSpeechTokens(): number[] {
  const {encode} = gpt3Encoder
  const symbols = [
    ...'"#()*+/:;<=>@[\\]^_`{|}~「」『』',
    ...'<< >> <<< >>> -- --- -( -[ (\' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪'.split(' '),
  ]
  const miscellaneous = new Set('♩♪♫♬♭♮♯')
  const result = new Set<number>([encode(' -')[0], encode(" '")[0]])
  for (const symbol of [...symbols, ...miscellaneous]) {
    for (const tokens of [encode(symbol), encode(' ' + symbol)]) {
      if (tokens.length === 1 || miscellaneous.has(symbol)) result.add(tokens[0])
    }
  }
  return [...result].sort((a, b) => a - b)
}

/** suppress_tokens: non-speech symbols plus the control tokens Whisper never samples. */
export function suppressTokens(s: SpecialTokens): number[] {
  return [...nonSpeechTokens(), s.startOfTranscript, s.translate, s.transcribe, s.startOfLm, s.startOfPrev, s.noSpeech]
}

function forcedDecoderIds(s: SpecialTokens): Array<[number, number | null]> {
  return s.multilingual
    ? [
        [1, null],
        [2, s.transcribe],
      ]
    : [[1, s.noTimestamps]]
}

export function configJson(dims: ModelDims, nMels: number, s: SpecialTokens): object {
  return {
    _name_or_path: 'whisper-stream/generated',
    activation_dropout: 0.0,
    activation_function: 'gelu',
    apply_spec_augment: false,
    architectures: ['WhisperForConditionalGeneration'],
    attention_dropout: 0.0,
    begin_suppress_tokens: [220, s.endOfText],
    bos_token_id: s.endOfText,
    classifier_proj_size: 256,
    d_model: dims.dModel,
    decoder_attention_heads: dims.decoderHeads,
    decoder_ffn_dim: dims.decoderFfn,
    decoder_layerdrop: 0.0,
    decoder_layers: dims.decoderLayers,
    decoder_start_token_id: s.startOfTranscript,
    dropout: 0.0,
    encoder_attention_heads: dims.encoderHeads,
    encoder_ffn_dim: dims.encoderFfn,
    encoder_layerdrop: 0.0,
    encoder_layers: dims.encoderLayers,
    eos_token_id: s.endOfText,
    forced_decoder_ids: forcedDecoderIds(s),
    init_std: 0.02,
    is_encoder_decoder: true,
    max_length: dims.maxTargetPositions,
    max_source_positions: dims.maxSourcePositions,
    max_target_positions: dims.maxTargetPositions,
    median_filter_width: 7,
    model_type: 'whisper',
    num_hidden_layers: dims.encoderLayers,
    num_mel_bins: nMels,
    pad_token_id: s.endOfText,
    scale_embedding: false,
    suppress_tokens: suppressTokens(s),
    torch_dtype: 'float32',
    transformers_version: '4.38.0',
    use_cache: true,
    use_weighted_layer_sum: false,
    vocab_size: s.vocabSize,
  }
}

/** Every head of the upper half of the decoder: what Whisper uses when a model's alignment heads are unknown. */
function upperHalfHeads(dims: ModelDims): Array<[number, number]> {
  const heads: Array<[number, number]> = []
  for (let layer = Math.floor(dims.decoderLayers / 2); layer < dims.decoderLayers; layer++) {
    for (let head = 0; head < dims.decoderHeads; head++) heads.push([layer, head])
  }
  return heads
}

/** `trainedHeads`: the heads a trained model was taught to align with the words. */
export function generationConfigJson(dims: ModelDims, s: SpecialTokens, trainedHeads?: Array<[number, number]>): Record<string, unknown> {
  const alignmentHeads = trainedHeads ?? upperHalfHeads(dims)
  const multilingual = s.multilingual
    ? {
        lang_to_id: s.languageIds,
        task_to_id: {transcribe: s.transcribe, translate: s.translate},
      }
    : {}
  return {
    alignment_heads: alignmentHeads,
    begin_suppress_tokens: [220, s.endOfText],
    bos_token_id: s.endOfText,
    decoder_start_token_id: s.startOfTranscript,
    eos_token_id: s.endOfText,
    forced_decoder_ids: forcedDecoderIds(s),
    is_multilingual: s.multilingual,
    ...multilingual,
    max_initial_timestamp_index: 50,
    max_length: dims.maxTargetPositions,
    no_timestamps_token_id: s.noTimestamps,
    pad_token_id: s.endOfText,
    prev_sot_token_id: s.startOfPrev,
    return_timestamps: false,
    suppress_tokens: suppressTokens(s),
    transformers_version: '4.38.0',
  }
}

export function preprocessorConfigJson(nMels: number): object {
  return {
    chunk_length: 30,
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: nMels,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: 'right',
    padding_value: 0.0,
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    sampling_rate: 16000,
  }
}
