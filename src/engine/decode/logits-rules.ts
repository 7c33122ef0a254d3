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

/** True when the summed probability of all timestamps beats the most likely text token. */
function timestampMassWins(logits: Float32Array, timestampBegin: number): boolean {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  if (max === -Infinity) return false
  let total = 0
  let timestamps = 0
  let maxText = -Infinity
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i]!
    if (value === -Infinity) continue
    const e = Math.exp(value - max)
    total += e
    if (i >= timestampBegin) timestamps += e
    else if (value > maxText) maxText = value
  }
  if (timestamps === 0) return false
  const logTotal = Math.log(total) + max
  return Math.log(timestamps) + max - logTotal > maxText - logTotal
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
