// The config-file layouts real Whisper repositories have, as generator options: older and newer
// exports, transformers 5's processor_config.json, tokenizers of either generation.
import type {SpecialTokens} from './special-tokens.js'

export interface ConfigLayouts {
  /** preprocessor_config.json also carries "mel_filters" ([n_fft/2+1][mel bins], as Python saves it). */
  melFilters: boolean
  /** "preprocessor": preprocessor_config.json; "processor": transformers 5's processor_config.json, settings under "feature_extractor". */
  featureExtractor: 'preprocessor' | 'processor'
  /**
   * "current": lang_to_id, task_to_id, prev_sot_token_id, alignment_heads.
   * "legacy": 2022 exports: forced_decoder_ids, max_initial_timestamp_index 1, none of the above.
   */
  generation: 'current' | 'legacy'
  /** BPE merges as "a b" strings (tokenizers < 0.20) or as ["a", "b"] pairs (tokenizers ≥ 0.20). */
  merges: 'strings' | 'pairs'
  /**
   * Old slow-tokenizer repos: added_tokens.json lists every added token while tokenizer.json stops
   * at <|notimestamps|> (timestamp tokens unknown to it).
   */
  addedTokensJson: boolean
}

export const DEFAULT_LAYOUTS: ConfigLayouts = {
  melFilters: false,
  featureExtractor: 'preprocessor',
  generation: 'current',
  merges: 'strings',
  addedTokensJson: false,
}

/**
 * Slaney-normalised mel filters on the Slaney scale, 0–8 kHz, as librosa and HF compute them,
 * laid out [n_freq][n_mels]. Written independently of the engine's own filterbank so a file's
 * filters and the computed ones check each other.
 */
export function melFiltersPython(nMels: number, nFft = 400, samplingRate = 16000): number[][] {
  const toMel = (hz: number): number => (hz < 1000 ? hz / (200 / 3) : 15 + Math.log(hz / 1000) / (Math.log(6.4) / 27))
  const toHz = (mel: number): number => (mel < 15 ? (mel * 200) / 3 : 1000 * Math.exp((Math.log(6.4) / 27) * (mel - 15)))
  const nFreq = nFft / 2 + 1
  const top = toMel(8000)
  const edges = Array.from({length: nMels + 2}, (_, i) => toHz((top * i) / (nMels + 1)))
  const bins = Array.from({length: nFreq}, (_, k) => (k * samplingRate) / 2 / (nFreq - 1))
  return bins.map((hz) =>
    Array.from({length: nMels}, (_, m) => {
      const [lo, mid, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!]
      const weight = Math.max(0, Math.min((hz - lo) / (mid - lo), (hi - hz) / (hi - mid)))
      return weight * (2 / (hi - lo))
    }),
  )
}

/** generation_config.json as exports from 2022 have it. */
export function legacyGenerationConfig(current: Record<string, unknown>, s: SpecialTokens): object {
  const {alignment_heads: _a, prev_sot_token_id: _p, lang_to_id: _l, task_to_id: _t, is_multilingual: _m, ...rest} = current
  const forced: Array<[number, number | null]> = s.multilingual
    ? [
        [1, null],
        [2, s.transcribe],
        [3, s.noTimestamps],
      ]
    : [[1, s.noTimestamps]]
  return {...rest, forced_decoder_ids: forced, max_initial_timestamp_index: 1, transformers_version: '4.26.0.dev0'}
}

/** transformers 5's processor_config.json: the feature extractor's settings nested. */
export function processorConfigJson(preprocessor: object): object {
  return {feature_extractor: preprocessor, processor_class: 'WhisperProcessor'}
}

/** added_tokens.json: every added token (special and timestamps) → id. */
export function addedTokensJson(s: SpecialTokens): Record<string, number> {
  return Object.fromEntries(s.added.map((t) => [t.content, t.id]))
}
