// Scenario "variants": every weight variant of one model side by side, each measured in a process
// of its own (bench/variant-probe.ts): load time, RSS, encoder ms per 30 s window, decoder ms per
// token, live step compute, and how many greedy tokens agree with fp32's on the bench audio (on a
// second model that knows words too, when there is one). Ratios within one run are what count.
import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {formatDtype, parseDtypeChoice, type DtypeChoice} from '../src/engine/store/registry.js'
import type {Progress} from './progress.js'
import {round} from './stats.js'
import type {ProbeOptions, ProbeResult} from './variant-probe.js'

const run = promisify(execFile)

/** Every published variant, then the mixes worth a default: a float encoder with an 8-bit or 4-bit decoder. */
export const DEFAULT_VARIANTS = [
  'fp32',
  'fp16',
  'q8',
  'int8',
  'uint8',
  'q4',
  'q4f16',
  'bnb4',
  'encoder=fp32,decoder=q8',
  'encoder=fp32,decoder=int8',
  'encoder=fp32,decoder=q4',
]

export interface VariantOptions {
  variants: string[]
  threads: number
  lengths: number[]
  reps: number
  streamSeconds: number
  windows: number
}

export const defaultVariantOptions: VariantOptions = {
  variants: DEFAULT_VARIANTS,
  threads: 2,
  lengths: [32, 128],
  reps: 3,
  streamSeconds: 20,
  windows: 4,
}

export interface VariantRow {
  dtype: string
  loadMs: number
  rssMB: number
  encoderMs: number | null
  msPerToken: Record<string, number | null>
  stepComputePerSecond: number | null
  /** Greedy tokens equal to fp32's before the first difference, over fp32's tokens, per window averaged (%). */
  agreement: number | null
  /** The same on the second model (one that knows words), when there is one. */
  agreementTrained?: number | null
}

export interface VariantsResult {
  rows: VariantRow[]
  settings: Omit<VariantOptions, 'variants'>
  agreementModel?: string
}

const probeFile = (): string => {
  const self = fileURLToPath(import.meta.url)
  return path.join(path.dirname(self), `variant-probe${path.extname(self)}`)
}

async function probeChild(options: ProbeOptions): Promise<ProbeResult> {
  const file = probeFile()
  // From the sources (tests, `node --import tsx`) the child needs the TypeScript loader too.
  const loader = file.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : []
  const {stdout} = await run(process.execPath, [...process.execArgv, ...loader, file, JSON.stringify(options)], {maxBuffer: 64 << 20})
  return JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult
}

function agreement(ours: number[][], reference: number[][]): number | null {
  if (reference.length === 0) return null
  let sum = 0
  reference.forEach((ref, w) => {
    const mine = ours[w] ?? []
    let n = 0
    while (n < ref.length && mine[n] === ref[n]) n++
    sum += ref.length === 0 ? (mine.length === 0 ? 1 : 0) : n / ref.length
  })
  return round((100 * sum) / reference.length, 0)
}

export async function runVariants(
  dir: string,
  options: VariantOptions,
  progress: Progress,
  agreementModel?: {dir: string; name: string},
): Promise<VariantsResult> {
  const choices: DtypeChoice[] = options.variants.map((v) => parseDtypeChoice(v))
  if (!choices.some((c) => c === 'fp32')) choices.unshift('fp32')
  const results = new Map<string, ProbeResult>()
  for (const [i, choice] of choices.entries()) {
    progress.update(i / choices.length, `variants: ${formatDtype(choice)}`)
    results.set(
      formatDtype(choice),
      await probeChild({
        dir,
        dtype: choice,
        threads: options.threads,
        lengths: options.lengths,
        reps: options.reps,
        streamSeconds: options.streamSeconds,
        windows: options.windows,
        ...(agreementModel ? {agreementDir: agreementModel.dir} : {}),
      }),
    )
  }
  const fp32 = results.get('fp32')!
  const rows = [...results].map(([dtype, r]): VariantRow => {
    const row: VariantRow = {
      dtype,
      loadMs: r.loadMs,
      rssMB: r.rssMB,
      encoderMs: r.encoderMs,
      msPerToken: r.msPerToken,
      stepComputePerSecond: r.stepComputePerSecond,
      agreement: agreement(r.tokens, fp32.tokens),
    }
    if (r.agreementTokens && fp32.agreementTokens) row.agreementTrained = agreement(r.agreementTokens, fp32.agreementTokens)
    return row
  })
  const {variants: _variants, ...settings} = options
  return {rows, settings, ...(agreementModel ? {agreementModel: agreementModel.name} : {})}
}
