/** A seeded pseudo-random source of floats in [0, 1), so sampled decodes reproduce run after run. */
export type Random = () => number

/** mulberry32: a small 32-bit generator, good enough to draw tokens and cheap to seed per stream. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Terms this far below the largest logit are left out of the sum: 51,864 of them add less than 5e-9 to
 * the log (e^-30 each, against the largest term's 1), below float32's resolution of a logit, and Math.exp
 * is most of what this costs, once per token of every decode (0.5-0.8 ms over Whisper's vocabulary).
 */
const NEGLIGIBLE_BELOW_MAX = 30

/** log Σ exp(logits): the softmax denominator, in log space. -Infinity when every logit is. `max`: the largest logit, when known. */
export function logSumExp(logits: Float32Array, max = maxOf(logits)): number {
  if (max === -Infinity) return -Infinity
  const floor = max - NEGLIGIBLE_BELOW_MAX
  let sum = 0
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!
    if (v > floor) sum += Math.exp(v - max)
  }
  return max + Math.log(sum)
}

function maxOf(logits: Float32Array): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  return max
}

/**
 * Draws a token from softmax(logits / temperature). Two passes over the row and no allocation:
 * this runs once per token of every sampled decode.
 */
export function sampleToken(logits: Float32Array, temperature: number, random: Random): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i]! - max) / temperature)
  let target = random() * sum
  let last = 0
  for (let i = 0; i < logits.length; i++) {
    const weight = Math.exp((logits[i]! - max) / temperature)
    if (weight === 0) continue
    last = i
    target -= weight
    if (target < 0) return i
  }
  // Rounding left a sliver of mass: the last token with any weight takes it.
  return last
}
