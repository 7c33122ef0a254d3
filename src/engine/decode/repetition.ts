/** How many times an n-gram of each length must repeat back to back before it counts as a loop. */
export interface LoopRule {
  maxPeriod: number
  /** Minimum number of tokens the repeated run must span. */
  minSpan: number
  minRepeats: number
}

export const defaultLoopRule: LoopRule = {maxPeriod: 24, minSpan: 12, minRepeats: 3}

/**
 * If the tail of `tokens` is one n-gram repeated over and over (Whisper's known failure),
 * returns the index where the repeats start after the first copy; otherwise -1.
 * Cost is O(maxPeriod · span) per call, independent of how long decoding has run.
 */
export function loopStart(tokens: readonly number[], rule: LoopRule = defaultLoopRule): number {
  const n = tokens.length
  for (let period = 1; period <= rule.maxPeriod; period++) {
    const needed = Math.max(rule.minSpan, period * rule.minRepeats)
    if (n < needed) continue
    let span = period
    while (span < n && tokens[n - 1 - span] === tokens[n - 1 - (span % period)]) span++
    if (span >= needed) {
      const runStart = n - span
      return runStart + period
    }
  }
  return -1
}
