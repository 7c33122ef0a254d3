import type {Hypothesis, TimedWord} from './asr-backend.js'

/**
 * LocalAgreement-2 at word level (after ufal/whisper_streaming's HypothesisBuffer).
 *
 * Words carry absolute sample times. Each step inserts the newest hypothesis; the
 * longest common prefix with the previous hypothesis's uncommitted tail is committed,
 * the rest becomes the new tentative tail.
 *
 * Words are compared normalized: Unicode NFKC, lower case, punctuation and whitespace
 * removed ("Hello," == " hello"). A word that is only punctuation compares by its trimmed
 * text. The committed text keeps the spelling of the newest hypothesis.
 *
 * Memory: the tentative tail (at most one window of words) and the last `maxNgram`
 * committed words for the boundary dedupe; nothing grows with the stream.
 */
export const normalizeWord = (text: string): string => {
  const folded = text.normalize('NFKC').toLowerCase()
  const bare = folded.replace(/[\p{P}\p{S}\s]+/gu, '')
  return bare.length > 0 ? bare : folded.trim()
}

export interface LocalAgreementOptions {
  /** Longest committed n-gram compared with the start of a new hypothesis (ufal: 5). */
  maxNgram: number
  /**
   * How far after the committed end (samples) a repeated n-gram may start and still count as a
   * re-transcription (ufal: 1 s). Whisper often ends a word early; once that end is committed,
   * the next window hears the word's rest and writes the word again just after it. The price: a
   * word said twice within this much, across a commit boundary, is kept once. (Sparing repeats the
   * previous hypothesis also had let the trained model's loops through: "tree table" twice.)
   */
  slack: number
}

export class LocalAgreement {
  private readonly maxNgram: number
  private readonly slack: number
  /** Uncommitted words of the previous hypothesis. */
  private tail: TimedWord[] = []
  /** Last committed words, oldest first, at most maxNgram of them. */
  private readonly recent: TimedWord[] = []
  private committedEndSample: number

  constructor(options: LocalAgreementOptions, committedEnd = 0) {
    this.maxNgram = options.maxNgram
    this.slack = options.slack
    this.committedEndSample = committedEnd
  }

  /** Absolute end of the last committed word (or of the last reset). */
  get committedEnd(): number {
    return this.committedEndSample
  }

  /** The tentative tail: words heard once, not yet agreed. */
  get tentative(): readonly TimedWord[] {
    return this.tail
  }

  /**
   * Inserts a hypothesis (absolute times) and returns the newly committed words.
   *
   * 1. Words whose midpoint lies before the committed end were already committed: dropped.
   * 2. Boundary dedupe: if the first k new words (k = maxNgram..1) spell the last k
   *    committed words and start before the committed end plus the slack, they are
   *    re-transcriptions of committed audio with shifted timestamps: dropped.
   * 3. The longest common (normalized) prefix with the previous tail is committed.
   */
  insert(words: readonly TimedWord[]): TimedWord[] {
    let fresh = words.filter((w) => (w.start + w.end) / 2 >= this.committedEndSample)
    fresh = this.dedupeBoundary(fresh)
    let n = 0
    while (n < fresh.length && n < this.tail.length && normalizeWord(fresh[n].text) === normalizeWord(this.tail[n].text)) n++
    const agreed = fresh.slice(0, n)
    this.tail = fresh.slice(n)
    this.remember(agreed)
    return agreed
  }

  /** Commits tentative words ending at or before `limit` (window overflow); returns them. */
  forceCommit(limit: number): TimedWord[] {
    let n = 0
    while (n < this.tail.length && this.tail[n].end <= limit) n++
    const forced = this.tail.slice(0, n)
    this.tail = this.tail.slice(n)
    this.remember(forced)
    return forced
  }

  /** Commits and returns the whole tentative tail (end of utterance or stream). */
  flush(): TimedWord[] {
    const rest = this.tail
    this.tail = []
    this.remember(rest)
    return rest
  }

  /**
   * Declares everything before `sample` settled without committing it (audio discarded
   * as untrustworthy, or silence): the tentative words there are dropped.
   */
  skipTo(sample: number): void {
    if (sample <= this.committedEndSample) return
    this.committedEndSample = sample
    this.tail = this.tail.filter((w) => (w.start + w.end) / 2 >= sample)
  }

  private dedupeBoundary(fresh: TimedWord[]): TimedWord[] {
    const limit = Math.min(this.maxNgram, this.recent.length, fresh.length)
    for (let k = limit; k >= 1; k--) {
      const committedTail = this.recent.slice(this.recent.length - k)
      if (fresh[0].start >= committedTail[k - 1].end + this.slack) continue
      if (sameWords(fresh, committedTail, k)) return fresh.slice(k)
    }
    return fresh
  }

  private remember(words: readonly TimedWord[]): void {
    for (const w of words) {
      this.recent.push(w)
      if (this.recent.length > this.maxNgram) this.recent.shift()
      if (w.end > this.committedEndSample) this.committedEndSample = w.end
    }
  }
}

/** Whether the first k words of a and b are the same words (both have k). */
function sameWords(a: readonly TimedWord[], b: readonly TimedWord[], k: number): boolean {
  for (let i = 0; i < k; i++) if (normalizeWord(a[i].text) !== normalizeWord(b[i].text)) return false
  return true
}

/**
 * The part of a hypothesis that may be committed at all. A complete hypothesis is trusted
 * whole. A truncated one (token cap or repetition loop) loses its trailing repetition
 * (any 1..4-word n-gram repeated back to back at the end) and then its last word, which
 * may have been cut mid-token; the rest stays subject to agreement like any other words.
 */
export function trustedWords(hypothesis: Hypothesis): TimedWord[] {
  const words = hypothesis.words
  if (!hypothesis.truncated) return words.slice()
  return words.slice(0, Math.max(0, loopStart(words) - 1))
}

/** Start of the longest suffix made of one 1..4-word n-gram repeated at least twice (words.length if none). */
function loopStart(words: readonly TimedWord[]): number {
  let best = words.length
  for (let n = 1; n <= 4; n++) {
    let i = words.length - n - 1
    while (i >= 0 && normalizeWord(words[i].text) === normalizeWord(words[i + n].text)) i--
    const start = i + 1
    if (words.length - start >= 2 * n) best = Math.min(best, start)
  }
  return best
}
