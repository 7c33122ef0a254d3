import type {WhisperTokenizer} from '../model/tokenizer.js'

/** Languages written without spaces between words: each character (a whole UTF-8 sequence) is a word, as openai-whisper does. */
const NO_SPACES = new Set(['zh', 'ja', 'th', 'lo', 'my', 'yue'])

/** A word: its text as decoded (leading space included) and the [from, to) indices of its tokens. */
export interface WordSpan {
  text: string
  from: number
  to: number
}

/**
 * Groups text tokens into words: a token whose BPE piece starts with a space (Ġ) opens a word;
 * for languages without spaces, every run of tokens that decodes to whole characters is one.
 */
export class WordGrouper {
  readonly #tokenizer: WhisperTokenizer
  /** Word-start flag per token id, computed on first sight. */
  readonly #wordStarts = new Map<number, boolean>()

  constructor(tokenizer: WhisperTokenizer) {
    this.#tokenizer = tokenizer
  }

  words(tokens: readonly number[], language: string | undefined): WordSpan[] {
    const spans: WordSpan[] = []
    const perCharacter = language !== undefined && NO_SPACES.has(language)
    let from = 0
    for (let i = 1; i <= tokens.length; i++) {
      const boundary =
        i === tokens.length || (perCharacter ? !this.#decode(tokens.slice(from, i)).includes('\uFFFD') : this.#startsWord(tokens[i]!))
      if (!boundary) continue
      const text = this.#decode(tokens.slice(from, i))
      if (perCharacter && text.includes('\uFFFD') && i < tokens.length) continue
      if (text.trim() !== '') spans.push({text, from, to: i})
      from = i
    }
    return spans
  }

  #decode(tokens: readonly number[]): string {
    return tokens.length === 0 ? '' : this.#tokenizer.decode(tokens)
  }

  #startsWord(token: number): boolean {
    let starts = this.#wordStarts.get(token)
    if (starts === undefined) {
      const piece = this.#tokenizer.idToToken(token) ?? ''
      starts = piece.startsWith('Ġ') || piece.startsWith(' ')
      this.#wordStarts.set(token, starts)
    }
    return starts
  }
}

/** A word with sample times within a window, and its tokens. */
export interface WindowWord {
  text: string
  start: number
  end: number
  tokens: readonly number[]
  /** Mean probability of the word's tokens as decoded. */
  probability: number
}

export interface SegmentSpan {
  /** The segment's text tokens. */
  tokens: readonly number[]
  /** Index of its first token among the window's kept tokens (where `times` starts counting). */
  first: number
  /** Segment bounds in samples from the window's start. */
  start: number
  end: number
}

/**
 * Words of one segment. With DTW token times (seconds from the window's start, `times[k]` the start
 * of kept token k, `times[k + 1]` its end) each word spans its tokens' times, kept inside the
 * segment and in order; without, each word gets a share of the segment by character count.
 */
export function segmentWords(
  grouper: WordGrouper,
  segment: SegmentSpan,
  language: string | undefined,
  times: Float64Array | undefined,
  sampleRate: number,
  /** log p of each kept token of the window, indexed like `times`. */
  logprobs: readonly number[] = [],
): WindowWord[] {
  const {tokens, first, start, end} = segment
  const spans = grouper.words(tokens, language)
  const chars = spans.reduce((sum, span) => sum + Math.max(1, span.text.trim().length), 0)
  const out: WindowWord[] = []
  let cursor = start
  let used = 0
  spans.forEach((span, i) => {
    let wordStart = cursor
    let wordEnd: number
    if (times) {
      wordStart = Math.min(end, Math.max(cursor, Math.round(times[first + span.from]! * sampleRate)))
      wordEnd = Math.round(times[first + span.to]! * sampleRate)
    } else {
      used += Math.max(1, span.text.trim().length)
      wordEnd = i === spans.length - 1 ? end : start + Math.round(((end - start) * used) / chars)
    }
    wordEnd = Math.min(end, Math.max(wordStart, wordEnd))
    let probability = 0
    for (let k = span.from; k < span.to; k++) probability += Math.exp(logprobs[first + k] ?? 0)
    probability /= span.to - span.from
    const text = span.text.startsWith(' ') ? span.text : ` ${span.text}`
    out.push({text, start: wordStart, end: wordEnd, tokens: tokens.slice(span.from, span.to), probability})
    cursor = wordEnd
  })
  return out
}

/** Index of each text token (below `timestampBegin`) among all of `tokens`. */
export function textTokenIndices(tokens: readonly number[], timestampBegin: number): number[] {
  const indices: number[] = []
  tokens.forEach((token, i) => {
    if (token < timestampBegin) indices.push(i)
  })
  return indices
}

/** True when `count` text tokens from `at` sit next to each other among all tokens (no timestamp between). */
export const contiguous = (textIndex: readonly number[], at: number, count: number): boolean =>
  count > 0 && at + count <= textIndex.length && textIndex[at + count - 1]! - textIndex[at]! === count - 1
