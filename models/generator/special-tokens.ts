// Whisper's special-token layout after the byte-level BPE vocabulary, as the real models have it.

/** Whisper's language codes in its own order; large-v3 appended "yue". */
export const LANGUAGES = [
  'en',
  'zh',
  'de',
  'es',
  'ru',
  'ko',
  'fr',
  'ja',
  'pt',
  'tr',
  'pl',
  'ca',
  'nl',
  'ar',
  'sv',
  'it',
  'id',
  'hi',
  'fi',
  'vi',
  'he',
  'uk',
  'el',
  'ms',
  'cs',
  'ro',
  'da',
  'hu',
  'ta',
  'no',
  'th',
  'ur',
  'hr',
  'bg',
  'lt',
  'la',
  'mi',
  'ml',
  'cy',
  'sk',
  'te',
  'fa',
  'lv',
  'bn',
  'sr',
  'az',
  'sl',
  'kn',
  'et',
  'mk',
  'br',
  'eu',
  'is',
  'hy',
  'ne',
  'mn',
  'bs',
  'kk',
  'sq',
  'sw',
  'gl',
  'mr',
  'pa',
  'si',
  'km',
  'sn',
  'yo',
  'so',
  'af',
  'oc',
  'ka',
  'be',
  'tg',
  'sd',
  'gu',
  'am',
  'yi',
  'lo',
  'uz',
  'fo',
  'ht',
  'ps',
  'tk',
  'nn',
  'mt',
  'sa',
  'lb',
  'my',
  'bo',
  'tl',
  'mg',
  'as',
  'tt',
  'haw',
  'ln',
  'ha',
  'ba',
  'jw',
  'su',
  'yue',
] as const

export interface SpecialTokens {
  multilingual: boolean
  /** Language codes with tokens (99, or 100 for large-v3 style). */
  languages: string[]
  endOfText: number
  startOfTranscript: number
  /** `<|xx|>` → id. */
  languageIds: Record<string, number>
  translate: number
  transcribe: number
  startOfLm: number
  startOfPrev: number
  noSpeech: number
  noTimestamps: number
  /** Id of `<|0.00|>`; timestamps run to `<|30.00|>` in 0.02 s steps (1501 tokens). */
  timestampBegin: number
  vocabSize: number
  /** Every added token in id order: content, id, special flag. */
  added: Array<{id: number; content: string; special: boolean}>
}

export const TIMESTAMP_COUNT = 1501

/**
 * English-only (tiny.en): <|endoftext|> 50256, sot 50257, 99 languages, vocab 51864.
 * Multilingual: everything one later (eot 50257); 100 languages with 128 mel bins (large-v3).
 */
export function specialTokens(multilingual: boolean, languageCount: 99 | 100): SpecialTokens {
  const languages = LANGUAGES.slice(0, languageCount) as string[]
  const added: SpecialTokens['added'] = []
  let next = multilingual ? 50257 : 50256
  const add = (content: string, special = true): number => {
    added.push({id: next, content, special})
    return next++
  }
  const endOfText = add('<|endoftext|>')
  const startOfTranscript = add('<|startoftranscript|>')
  const languageIds: Record<string, number> = {}
  for (const code of languages) languageIds[`<|${code}|>`] = add(`<|${code}|>`)
  const translate = add('<|translate|>')
  const transcribe = add('<|transcribe|>')
  const startOfLm = add('<|startoflm|>')
  const startOfPrev = add('<|startofprev|>')
  const noSpeech = add(languageCount === 100 ? '<|nospeech|>' : '<|nocaptions|>')
  const noTimestamps = add('<|notimestamps|>')
  const timestampBegin = next
  for (let i = 0; i < TIMESTAMP_COUNT; i++) add(`<|${(i * 0.02).toFixed(2)}|>`, false)
  return {
    multilingual,
    languages,
    endOfText,
    startOfTranscript,
    languageIds,
    translate,
    transcribe,
    startOfLm,
    startOfPrev,
    noSpeech,
    noTimestamps,
    timestampBegin,
    vocabSize: next,
    added,
  }
}
