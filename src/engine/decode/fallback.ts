import {isNoSpeech} from './no-speech.js'

/** Whisper's quality checks on a decode; undefined turns a check off. */
export interface QualityThresholds {
  /** Above this gzip (zlib) compression ratio the text is too repetitive (Whisper: 2.4). */
  compressionRatio: number | undefined
  /** Below this average log-probability the decode is too unsure (Whisper: -1.0). */
  logprob: number | undefined
  /** Above this no-speech probability (with a low log-probability) the window is silence (Whisper: 0.6). */
  noSpeech: number | undefined
}

export const whisperThresholds: Readonly<QualityThresholds> = Object.freeze({compressionRatio: 2.4, logprob: -1, noSpeech: 0.6})

/** Whisper's temperature schedule: 0, then 0.2 steps up to 1.0. */
export const whisperTemperatures: readonly number[] = Object.freeze([0, 0.2, 0.4, 0.6, 0.8, 1])

export interface AttemptQuality {
  compressionRatio: number
  avgLogprob: number
  noSpeechProb: number
  /** The repetition cut stopped this decode: a loop, which the compression ratio exists to catch. */
  looped: boolean
}

/**
 * openai-whisper's rule: decode again, hotter, when the text is too repetitive or too unsure;
 * never for what the no-speech gate will drop anyway.
 */
export function needsFallback(quality: AttemptQuality, thresholds: QualityThresholds): boolean {
  let fallback = false
  if (thresholds.compressionRatio !== undefined && (quality.looped || quality.compressionRatio > thresholds.compressionRatio))
    fallback = true
  if (thresholds.logprob !== undefined && quality.avgLogprob < thresholds.logprob) fallback = true
  if (fallback && thresholds.logprob !== undefined && isNoSpeech(quality.noSpeechProb, quality.avgLogprob, thresholds)) fallback = false
  return fallback
}

export interface FallbackOutcome<R> {
  result: R
  /** Temperature of the kept attempt. */
  temperature: number
  /** Decodes run, the kept one included. */
  attempts: number
}

/**
 * Runs `attempt` at each temperature in turn and keeps the first result that passes the thresholds,
 * else the last one.
 */
export async function decodeWithFallback<R extends AttemptQuality>(
  temperatures: readonly number[],
  thresholds: QualityThresholds,
  attempt: (temperature: number) => Promise<R>,
): Promise<FallbackOutcome<R>> {
  if (temperatures.length === 0) throw new RangeError('the temperature schedule is empty')
  for (let index = 0; ; index++) {
    const temperature = temperatures[index]!
    const result = await attempt(temperature)
    const last = index === temperatures.length - 1
    if (last || !needsFallback(result, thresholds)) return {result, temperature, attempts: index + 1}
  }
}
