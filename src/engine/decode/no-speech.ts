import type {QualityThresholds} from './fallback.js'

/**
 * softmax(logits)[token], computed directly: the no-speech probability is read at the
 * start-of-transcript position from the raw logits, before any of Whisper's rules.
 */
export function tokenProbability(logits: Float32Array, token: number): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max)
  return Math.exp(logits[token]! - max) / sum
}

/**
 * openai-whisper's silence gate: the window yields no words when <|nospeech|> is likelier than the
 * threshold, unless the decode was confident (average log-probability above its threshold).
 */
export function isNoSpeech(noSpeechProb: number, avgLogprob: number, thresholds: Pick<QualityThresholds, 'noSpeech' | 'logprob'>): boolean {
  if (thresholds.noSpeech === undefined || !(noSpeechProb > thresholds.noSpeech)) return false
  return !(thresholds.logprob !== undefined && avgLogprob > thresholds.logprob)
}
