// The project's performance targets, compared against a report (reported, never asserted).
import type {BenchReport} from './run.js'

export interface TargetRow {
  name: string
  target: string
  measured: string
  met: boolean | null
}

const fmt = (value: number | null | undefined, unit = ''): string => (value === null || value === undefined ? 'n/a' : `${value}${unit}`)

export function targetRows(report: BenchReport): TargetRow[] {
  const rows: TargetRow[] = []
  const at128 = report.decode?.rows.find((r) => r.tokens === 128)
  if (report.decode) {
    rows.push({
      name: 'cached vs uncached per token at 128 tokens',
      target: '≥ 8x',
      measured: fmt(at128?.speedup, 'x'),
      met: at128?.speedup == null ? null : at128.speedup >= 8,
    })
  }
  const dec = report.file?.decoding
  if (report.file) {
    rows.push({
      name: 'decoding per token vs transformers.js generate',
      target: '≥ 1.7x',
      measured: fmt(dec?.speedup, 'x'),
      met: dec?.speedup == null ? null : dec.speedup >= 1.7,
    })
    rows.push({
      name: 'file transcription vs transformers.js pipeline',
      target: '≥ 1.5x',
      measured: `${fmt(report.file.speedup, 'x')} wall (${fmt(report.file.perTokenSpeedup, 'x')} per output token)`,
      met: report.file.speedup == null ? null : report.file.speedup >= 1.5,
    })
  }
  const s = report.stream?.summary
  if (s) {
    rows.push({
      name: 'latency drift (p95 last decile / first)',
      target: '≤ 1.05',
      measured: `${fmt(s.drift)} (after ${s.warmupSeconds} s warm-up: ${fmt(s.driftAfterWarmup)})`,
      met: s.driftAfterWarmup == null ? null : s.driftAfterWarmup <= 1.05,
    })
    rows.push({
      name: 'memory slope (RSS, after warm-up)',
      target: '< 1 MB/audio hour',
      measured: `${fmt(s.rssSlopeMBPerHour, ' MB/h')} (heap ${fmt(s.heapSlopeMBPerHour, ' MB/h')})`,
      met: s.rssSlopeMBPerHour == null ? null : s.rssSlopeMBPerHour < 1,
    })
    rows.push({
      name: 'compute per 1 s step (median)',
      target: '≤ 0.25 s',
      measured: fmt(s.computePerStep, ' s/s'),
      met: s.computePerStep == null ? null : s.computePerStep <= 0.25,
    })
  }
  return rows
}
