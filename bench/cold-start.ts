// Scenario "coldstart": what a new user waits for, each run a fresh process: `--version`, and a short
// clip through `transcribe --format text` (greedy: random weights fail every fallback threshold, which
// would price the fallback, not the start-up). Median of `runs`; one more run with
// WHISPER_STREAM_DEBUG=timings gives the breakdown (the CLI's own report, parsed).
import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'
import {findRepoRoot} from './paths.js'
import type {Progress} from './progress.js'
import {median, round} from './stats.js'

const run = promisify(execFile)

export interface ColdStartOptions {
  modelDir: string
  dtype: string
  threads: number
  wav: string
  clipSeconds: number
  runs: number
}

export interface ColdStartPhase {
  name: string
  startMs: number
  /** Equal to startMs for a point in time (a mark). */
  endMs: number
}

export interface ColdStartResult {
  runs: number
  clipSeconds: number
  dtype: string
  /** Median wall time of a whole process, ms. */
  versionMs: number | null
  transcribeMs: number | null
  phases: ColdStartPhase[]
}

async function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ms: number; stderr: string}> {
  const start = performance.now()
  const {stderr} = await run(process.execPath, [path.join(findRepoRoot(), 'bin', 'run.js'), ...args], {env, maxBuffer: 16 << 20})
  return {ms: performance.now() - start, stderr}
}

/** The rows of the CLI's timings report: `  start →   end  name (N ms)` or `  start          name`. */
export function parseTimings(report: string): ColdStartPhase[] {
  const phases: ColdStartPhase[] = []
  for (const line of report.split('\n')) {
    const span = /^\s*(\d+) →\s*(\d+)\s+(.+?) \(\d+ ms\)$/.exec(line)
    if (span) phases.push({name: span[3]!, startMs: Number(span[1]), endMs: Number(span[2])})
    const mark = span ? null : /^\s*(\d+)\s{2,}(\S.*)$/.exec(line)
    if (mark) phases.push({name: mark[2]!, startMs: Number(mark[1]), endMs: Number(mark[1])})
  }
  return phases
}

export async function runColdStart(options: ColdStartOptions, progress: Progress): Promise<ColdStartResult> {
  const transcribe = ['transcribe', options.wav, '--model', options.modelDir, '--dtype', options.dtype, '--format', 'text']
  transcribe.push('--temperature', '0', '--beam-size', '1', '--threads', String(options.threads))
  const version: number[] = []
  const clip: number[] = []
  for (let i = 0; i < options.runs; i++) {
    progress.update(i / (options.runs + 1), `coldstart: run ${i + 1} of ${options.runs}`)
    version.push((await wallMs(['--version'])).ms)
    clip.push((await wallMs(transcribe)).ms)
  }
  const {stderr} = await wallMs(transcribe, {...process.env, WHISPER_STREAM_DEBUG: 'timings'})
  return {
    runs: options.runs,
    clipSeconds: options.clipSeconds,
    dtype: options.dtype,
    versionMs: round(median(version), 0),
    transcribeMs: round(median(clip), 0),
    phases: parseTimings(stderr),
  }
}
