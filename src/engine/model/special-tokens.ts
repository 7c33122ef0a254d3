import {WhisperStreamError} from '../errors.js'
import type {GenerationConfig, WhisperConfig} from './model-config.js'
import type {WhisperTokenizer} from './tokenizer.js'

/** Every id the decoder treats specially, read from the model's own files. */
export interface SpecialTokens {
  startOfTranscript: number
  endOfText: number
  noTimestamps: number
  /** First timestamp token (<|0.00|>); every id from here to the end of the vocabulary is a timestamp. */
  timestampBegin: number
  startOfPrev: number | undefined
  /** <|nospeech|> (<|nocaptions|> in older vocabularies): its probability after start-of-transcript says "silence". */
  noSpeech: number | undefined
  transcribe: number | undefined
  translate: number | undefined
  /** Language code ("en") to token id; empty for English-only models. */
  languages: ReadonlyMap<string, number>
  multilingual: boolean
}

/** Multilingual Whisper's vocabulary (51865, 51866 for large-v3); English-only models have 51864. */
const MULTILINGUAL_VOCAB = 51865

const languageToken = /^<\|([a-z]{2,3}|haw|yue)\|>$/

export function readSpecialTokens(generation: GenerationConfig, config: WhisperConfig, tokenizer: WhisperTokenizer): SpecialTokens {
  const id = (token: string): number | undefined => tokenizer.tokenToId(token)
  const noTimestamps = generation.noTimestampsTokenId ?? id('<|notimestamps|>')
  if (noTimestamps === undefined) {
    throw new WhisperStreamError('model-mismatch', 'the model names no <|notimestamps|> token', {
      hint: 'generation_config.json lacks no_timestamps_token_id and tokenizer.json lacks <|notimestamps|>',
    })
  }
  const timestampBegin = noTimestamps + 1
  if (timestampBegin >= config.vocabSize) {
    throw new WhisperStreamError('model-mismatch', `timestamp tokens start at ${timestampBegin}, past vocab_size ${config.vocabSize}`, {
      hint: 'config.json and generation_config.json do not belong to the same model',
    })
  }
  const firstTimestamp = tokenizer.idToToken(timestampBegin)
  if (firstTimestamp !== undefined && firstTimestamp !== '<|0.00|>') {
    throw new WhisperStreamError(
      'model-mismatch',
      `tokenizer.json: token ${timestampBegin} is "${firstTimestamp}", expected <|0.00|> (the first timestamp after no_timestamps_token_id ${noTimestamps})`,
      {
        hint: 'tokenizer.json does not match generation_config.json',
      },
    )
  }

  const languages = new Map<string, number>()
  if (generation.langToId) {
    for (const [token, value] of Object.entries(generation.langToId)) {
      const match = languageToken.exec(token)
      if (match) languages.set(match[1]!, value)
    }
  }
  // Exports from 2022 name neither is_multilingual nor lang_to_id; openai/whisper tells by vocabulary size.
  const multilingual = generation.isMultilingual ?? (languages.size > 0 || config.vocabSize >= MULTILINGUAL_VOCAB)
  const transcribe = generation.taskToId?.['transcribe'] ?? id('<|transcribe|>')
  const translate = generation.taskToId?.['translate'] ?? id('<|translate|>')
  if (multilingual && languages.size === 0) {
    for (let token = generation.decoderStartTokenId + 1; token < (translate ?? timestampBegin); token++) {
      const match = languageToken.exec(tokenizer.idToToken(token) ?? '')
      if (match) languages.set(match[1]!, token)
    }
  }
  return {
    startOfTranscript: generation.decoderStartTokenId,
    endOfText: generation.eosTokenId,
    noTimestamps,
    timestampBegin,
    startOfPrev: generation.prevSotTokenId ?? id('<|startofprev|>'),
    noSpeech: id('<|nospeech|>') ?? id('<|nocaptions|>'),
    transcribe,
    translate,
    languages,
    multilingual,
  }
}
