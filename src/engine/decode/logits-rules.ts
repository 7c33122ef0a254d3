import type {SpecialTokens} from '../model/special-tokens.js'

export interface LogitsRuleOptions {
  timestamps: boolean
  suppressTokens: readonly number[]
  beginSuppressTokens: readonly number[]
  /** Latest timestamp index allowed as the first token; undefined lets any through. */
  maxInitialTimestampIndex: number | undefined
  /** Forbid timestamps earlier than the last one (OpenAI's rule; transformers.js lacks it). */
  monotonicTimestamps: boolean
}

/**
 * Whisper's rules on the next-token logits, applied in place and in OpenAI's order:
 * suppress tokens, suppress blanks at the beginning, then the timestamp rules.
 */
export class LogitsRules {
  readonly #special: SpecialTokens
  readonly #options: LogitsRuleOptions

  constructor(special: SpecialTokens, options: LogitsRuleOptions) {
    this.#special = special
    this.#options = options
  }

  /** `generated` holds the tokens after the initial (prompt + start) sequence. */
  apply(logits: Float32Array, generated: readonly number[]): void {
    const options = this.#options
    for (const token of options.suppressTokens) if (token < logits.length) logits[token] = -Infinity
    if (generated.length === 0) {
      for (const token of options.beginSuppressTokens) if (token < logits.length) logits[token] = -Infinity
    }
    if (options.timestamps) this.#timestampRules(logits, generated)
  }

  #timestampRules(logits: Float32Array, generated: readonly number[]): void {
    const {noTimestamps, timestampBegin, endOfText} = this.#special
    logits[noTimestamps] = -Infinity
    const n = generated.length
    if (n === 0) {
      logits.fill(-Infinity, 0, timestampBegin)
      const maxInitial = this.#options.maxInitialTimestampIndex
      if (maxInitial !== undefined) logits.fill(-Infinity, timestampBegin + maxInitial + 1)
      return
    }
    const last = generated[n - 1]!
    const lastWasTimestamp = last >= timestampBegin
    const penultimateWasTimestamp = n < 2 || generated[n - 2]! >= timestampBegin
    if (lastWasTimestamp) {
      if (penultimateWasTimestamp) logits.fill(-Infinity, timestampBegin)
      else logits.fill(-Infinity, 0, endOfText)
    }
    if (this.#options.monotonicTimestamps) {
      let lastTimestamp = -1
      for (let i = n - 1; i >= 0; i--) {
        if (generated[i]! >= timestampBegin) {
          lastTimestamp = generated[i]!
          break
        }
      }
      if (lastTimestamp >= 0) {
        // A closing timestamp may equal the opening one; a new segment must move forward.
        const floor = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1
        logits.fill(-Infinity, timestampBegin, Math.min(floor, logits.length))
      }
    }
    if (timestampMassWins(logits, timestampBegin)) logits.fill(-Infinity, 0, timestampBegin)
  }
}

/**
 * True when the summed probability of all timestamps beats the most likely text token.
 * Both sides share the softmax denominator, so comparing log Σ exp(timestamp logits) with the
 * best text logit is exact and needs exp() over the ~1500 timestamps only, not the whole vocabulary.
 */
function timestampMassWins(logits: Float32Array, timestampBegin: number): boolean {
  let maxText = -Infinity
  for (let i = 0; i < timestampBegin; i++) if (logits[i]! > maxText) maxText = logits[i]!
  let maxTimestamp = -Infinity
  for (let i = timestampBegin; i < logits.length; i++) if (logits[i]! > maxTimestamp) maxTimestamp = logits[i]!
  if (maxTimestamp === -Infinity) return false
  if (maxText === -Infinity) return true
  let sum = 0
  for (let i = timestampBegin; i < logits.length; i++) sum += Math.exp(logits[i]! - maxTimestamp)
  return Math.log(sum) + maxTimestamp > maxText
}

export function argmax(logits: Float32Array): number {
  let best = 0
  let bestValue = -Infinity
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > bestValue) {
      bestValue = logits[i]!
      best = i
    }
  }
  return best
}
