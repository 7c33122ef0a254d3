// Summaries of a fuzz run.
import {CASE_KINDS, type CaseResult} from './oracle.js'

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** What the summary reads of a case, WebSocket or HTTP alike. */
export interface CaseOutcome {
  kind: string
  seed: number
  outcome: string
  expected: string[]
  ok: boolean
  note: string
}

/** A finished case, ok when its outcome is one the oracle expected; `started` is its performance.now(). */
export function finishedCase<K extends string>(
  kind: K,
  seed: number,
  outcome: string,
  ctx: {notes: string[]; expected: string[]},
  started: number,
): CaseOutcome & {kind: K; ms: number} {
  return {
    kind,
    seed,
    outcome,
    expected: ctx.expected,
    ok: ctx.expected.includes(outcome),
    note: ctx.notes.join(' | '),
    ms: Math.round(performance.now() - started),
  }
}

/** "kind  N  outcome ×n, …" lines in the order of `kinds`, and the unexpected ones with their replay ids. */
export function summarizeCases(kinds: readonly string[], results: readonly CaseOutcome[]): string[] {
  const lines: string[] = []
  for (const kind of kinds) {
    const mine = results.filter((r) => r.kind === kind)
    if (mine.length === 0) continue
    const counts = new Map<string, number>()
    for (const r of mine) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1)
    const text = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([o, n]) => `${o} ×${n}`)
      .join(', ')
    lines.push(`${kind.padEnd(20)} ${String(mine.length).padStart(5)}  ${text}`)
  }
  for (const r of results.filter((r) => !r.ok).slice(0, 30)) {
    lines.push(`UNEXPECTED ${r.kind}:${r.seed} → ${r.outcome} (expected ${r.expected.join(' or ')}) ${r.note}`)
  }
  return lines
}

export const summarize = (results: CaseResult[]): string[] => summarizeCases(CASE_KINDS, results)
