// Seeded randomness for the fuzzers: the same seed gives the same cases.
import {mulberry32} from '../../../models/generator/weights.js'

export type Rng = () => number

/** mulberry32 (the generator's): same seed → same cases. */
export {mulberry32}
export const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]
export const chance = (rng: Rng, p: number): boolean => rng() < p
export function randBytes(rng: Rng, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256)
  return out
}
