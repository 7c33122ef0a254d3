import chalk from 'chalk'

/** How a live command shows its events: an Ink screen, or JSON lines (the `transcribe --stream` vocabulary). */
export type OutputMode = 'tui' | 'jsonl'

export interface OutputModeInput {
  /** `--json` */
  json: boolean
  stdoutIsTTY: boolean | undefined
  env?: NodeJS.ProcessEnv
}

/**
 * The one place that picks the output mode: a terminal gets the TUI; `--json`, a pipe, a file or a dumb
 * terminal get JSON lines. (`--out FILE` is independent: it writes the transcript in either mode.)
 */
export function chooseOutputMode({json, stdoutIsTTY, env = process.env}: OutputModeInput): OutputMode {
  if (json || !stdoutIsTTY) return 'jsonl'
  if (env['TERM'] === 'dumb') return 'jsonl'
  return 'tui'
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export const noColorRequested = (env: NodeJS.ProcessEnv = process.env): boolean => (env['NO_COLOR'] ?? '') !== ''

/**
 * chalk 5 does not read NO_COLOR itself, and Ink colours (`color`, `dimColor`) go through the same chalk:
 * setting its level here turns every escape off for the whole screen.
 */
export function applyNoColor(env: NodeJS.ProcessEnv = process.env): boolean {
  const off = noColorRequested(env)
  if (off) chalk.level = 0
  return off
}
