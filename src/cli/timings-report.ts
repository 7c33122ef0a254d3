import {performance} from 'node:perf_hooks'

/** WHISPER_STREAM_DEBUG is a comma list: `1` (or `stack`) shows stack traces, `timings` the start-up breakdown. */
export function debugEnabled(what: 'stack' | 'timings', env: NodeJS.ProcessEnv = process.env): boolean {
  const parts = (env['WHISPER_STREAM_DEBUG'] ?? '').split(',').map((part) => part.trim())
  return parts.includes(what) || (what === 'stack' && parts.includes('1'))
}

/** Where the time went, in ms from process start: Node's bootstrap, then every phase the CLI and the engine measured. */
export function timingsReport(): string {
  const rows: Array<[start: number, end: number, name: string]> = [[0, performance.nodeTiming.bootstrapComplete, 'node bootstrap']]
  for (const entry of performance.getEntries()) {
    if (entry.entryType === 'measure') rows.push([entry.startTime, entry.startTime + entry.duration, entry.name])
    else if (entry.entryType === 'mark') rows.push([entry.startTime, entry.startTime, entry.name])
  }
  rows.push([performance.now(), performance.now(), 'exit'])
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const ms = (value: number): string => value.toFixed(0).padStart(6)
  const lines = rows.map(([start, end, name]) =>
    start === end ? `${ms(start)}          ${name}` : `${ms(start)} →${ms(end)}  ${name} (${(end - start).toFixed(0)} ms)`,
  )
  return `whisper-stream timings (ms from process start)\n${lines.join('\n')}\n`
}
