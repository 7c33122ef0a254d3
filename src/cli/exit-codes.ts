import type {ErrorCode} from '../engine/errors.js'

/** Exit codes, documented in the README. */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  usage: 2,
  input: 3,
  model: 4,
  network: 5,
  interrupted: 130,
} as const

const exitFor: Record<ErrorCode, number> = {
  usage: ExitCode.usage,
  'input-missing': ExitCode.input,
  'input-undecodable': ExitCode.input,
  'ffmpeg-missing': ExitCode.runtime,
  'ffmpeg-failed': ExitCode.input,
  'model-missing': ExitCode.model,
  'model-corrupt': ExitCode.model,
  'model-mismatch': ExitCode.model,
  'model-unknown': ExitCode.model,
  network: ExitCode.network,
  auth: ExitCode.network,
  'not-found': ExitCode.network,
  checksum: ExitCode.network,
  'disk-full': ExitCode.runtime,
  'output-failed': ExitCode.runtime,
  offline: ExitCode.network,
  aborted: ExitCode.interrupted,
  internal: ExitCode.runtime,
}

export const exitCodeFor = (code: ErrorCode): number => exitFor[code]
