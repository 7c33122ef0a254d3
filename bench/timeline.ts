// Per-step latency and memory against stream time, summarised per decile: the shape shared by the
// "stream" (our sliding window) and "naive" (growing buffer, uncached) scenarios.
import {percentile, round, slope, split} from './stats.js'

export interface StepSample {
  /** Seconds of audio consumed when the step ended. */
  audio: number
  stepMs: number
  rssMB: number
  heapMB: number
}

export interface DecileRow {
  fromS: number
  toS: number
  steps: number
  p50Ms: number | null
  p95Ms: number | null
  maxMs: number | null
  rssMB: number | null
  heapMB: number | null
}

export interface TimelineSummary {
  audioSeconds: number
  wallSeconds: number
  steps: number
  stepSeconds: number
  deciles: DecileRow[]
  p50Ms: number | null
  p95Ms: number | null
  maxMs: number | null
  /** Median compute per step over the step's audio (1 s): 0.25 means a step takes a quarter of its audio. */
  computePerStep: number | null
  /** p95 of the last decile over p95 of the first. */
  drift: number | null
  /** The same ratio with the first `warmupSeconds` left out (the window is still filling there). */
  driftAfterWarmup: number | null
  warmupSeconds: number
  /** Least-squares slope of RSS against audio time after the warm-up, MB per audio hour. */
  rssSlopeMBPerHour: number | null
  heapSlopeMBPerHour: number | null
  rssStartMB: number | null
  rssEndMB: number | null
}

export const memorySample = (): {rssMB: number; heapMB: number} => {
  const m = process.memoryUsage()
  return {rssMB: m.rss / 1e6, heapMB: m.heapUsed / 1e6}
}

export function summarise(samples: StepSample[], stepSeconds: number, wallSeconds: number, warmupSeconds = 30): TimelineSummary {
  const audioSeconds = samples.length > 0 ? samples[samples.length - 1]!.audio : 0
  const deciles = split(samples, 10).map((group): DecileRow => {
    const ms = group.map((s) => s.stepMs)
    return {
      fromS: round(group[0]!.audio - stepSeconds, 1) ?? 0,
      toS: round(group[group.length - 1]!.audio, 1) ?? 0,
      steps: group.length,
      p50Ms: round(percentile(ms, 0.5), 1),
      p95Ms: round(percentile(ms, 0.95), 1),
      maxMs: round(Math.max(...ms), 1),
      rssMB: round(
        percentile(
          group.map((s) => s.rssMB),
          0.5,
        ),
        1,
      ),
      heapMB: round(
        percentile(
          group.map((s) => s.heapMB),
          0.5,
        ),
        1,
      ),
    }
  })
  const ms = samples.map((s) => s.stepMs)
  const warm = Math.min(warmupSeconds, audioSeconds / 2)
  const steady = samples.filter((s) => s.audio > warm)
  const steadyDeciles = split(steady, 10)
  const p95 = (group: StepSample[] | undefined): number =>
    group
      ? percentile(
          group.map((s) => s.stepMs),
          0.95,
        )
      : Number.NaN
  const hours = steady.map((s) => s.audio / 3600)
  return {
    audioSeconds: round(audioSeconds, 1) ?? 0,
    wallSeconds: round(wallSeconds, 1) ?? 0,
    steps: samples.length,
    stepSeconds,
    deciles,
    p50Ms: round(percentile(ms, 0.5), 1),
    p95Ms: round(percentile(ms, 0.95), 1),
    maxMs: round(ms.length ? Math.max(...ms) : Number.NaN, 1),
    computePerStep: round(percentile(ms, 0.5) / (stepSeconds * 1000), 3),
    drift: deciles.length >= 2 ? round(deciles[deciles.length - 1]!.p95Ms! / deciles[0]!.p95Ms!, 3) : null,
    driftAfterWarmup: steadyDeciles.length >= 2 ? round(p95(steadyDeciles[steadyDeciles.length - 1]) / p95(steadyDeciles[0]), 3) : null,
    warmupSeconds: round(warm, 1) ?? 0,
    rssSlopeMBPerHour: round(
      slope(
        hours,
        steady.map((s) => s.rssMB),
      ),
      2,
    ),
    heapSlopeMBPerHour: round(
      slope(
        hours,
        steady.map((s) => s.heapMB),
      ),
      2,
    ),
    rssStartMB: round(samples[0]?.rssMB ?? Number.NaN, 1),
    rssEndMB: round(samples[samples.length - 1]?.rssMB ?? Number.NaN, 1),
  }
}

/** At most `max` samples, evenly spaced (for charts of hour-long runs). */
export function thin(samples: StepSample[], max = 2000): StepSample[] {
  if (samples.length <= max) return samples
  const out: StepSample[] = []
  for (let i = 0; i < max; i++) out.push(samples[Math.floor((i * (samples.length - 1)) / (max - 1))]!)
  return out
}

export const compactSamples = (samples: StepSample[]): Array<[number, number, number, number]> =>
  samples.map((s) => [round(s.audio, 2) ?? 0, round(s.stepMs, 1) ?? 0, round(s.rssMB, 1) ?? 0, round(s.heapMB, 1) ?? 0])
