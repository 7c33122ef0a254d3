/** Waits between download attempts: exponential, capped, with full jitter so many clients cut at once don't come back at once. */
export interface Backoff {
  /** The first retry waits up to this long. */
  baseMs: number
  /** No wait is longer than this. */
  maxMs: number
}

export const defaultBackoff: Readonly<Backoff> = Object.freeze({baseMs: 500, maxMs: 8000})

/** The wait before retry number `attempt` (0 for the first): uniform in [0, min(max, base·2^attempt)). */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt)
  return Math.floor(random() * ceiling)
}
