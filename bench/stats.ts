// Small statistics helpers for the benchmark: percentiles, deciles, least-squares slope.

/** The q-quantile (0..1) of `values` by linear interpolation; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length

export const median = (values: readonly number[]): number => percentile(values, 0.5)

/** Least-squares slope of y against x (units of y per unit of x); NaN with fewer than 2 distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length)
  if (n < 2) return Number.NaN
  const mx = mean(xs.slice(0, n))
  const my = mean(ys.slice(0, n))
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? Number.NaN : num / den
}

/** Splits items into `parts` consecutive groups of (nearly) equal size; empty groups are dropped. */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const groups: T[][] = []
  for (let i = 0; i < parts; i++) {
    const group = items.slice(Math.floor((i * items.length) / parts), Math.floor(((i + 1) * items.length) / parts))
    if (group.length > 0) groups.push(group)
  }
  return groups
}

/** Rounds for display and JSON: `digits` decimals, NaN/Infinity become null. */
export function round(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6

export const now = (): bigint => process.hrtime.bigint()
