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

export type ExitCodeName = keyof typeof ExitCode

export type ErrorCode =
  | 'usage'
  | 'input-missing'
  | 'input-undecodable'
  | 'ffmpeg-missing'
  | 'ffmpeg-failed'
  | 'model-missing'
  | 'model-corrupt'
  | 'model-mismatch'
  | 'model-unknown'
  | 'network'
  | 'auth'
  | 'not-found'
  | 'checksum'
  | 'disk-full'
  | 'output-failed'
  | 'offline'
  | 'aborted'
  | 'internal'

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

/**
 * The one error type of the project: says what was wrong and how to fix it,
 * keeps the original error as `cause`, and knows its exit code.
 */
export class WhisperStreamError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly exitCode: number

  constructor(code: ErrorCode, message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'WhisperStreamError'
    this.code = code
    this.hint = options.hint
    this.exitCode = exitFor[code]
  }

  /** One line for stderr: the problem, then the fix. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message
  }
}

export const isWhisperStreamError = (error: unknown): error is WhisperStreamError => error instanceof WhisperStreamError
