// The engine's one error type. It says what went wrong in the engine's terms and carries the why as
// data (`details`): each front end words it for its users (the CLI in flags and exit codes, src/cli;
// the server in its fields and close codes, src/server). No flag name or exit code lives here.

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

/** Why an error happened, as data, for the errors a front end words in its own terms. */
export type ErrorDetails =
  | {reason: 'not-whisper'}
  | {reason: 'model-incomplete'}
  | {reason: 'dtype-missing'; dtype: string}
  | {reason: 'dtype-unavailable'}
  | {reason: 'not-cached'; model: string; dtype: string | undefined}
  | {reason: 'unknown-model'; suggestion: string | undefined}
  | {reason: 'invalid-repo-id'}
  | {reason: 'hub-not-found'}
  | {reason: 'english-only-language'; model: string; language: string}
  | {reason: 'english-only-translate'; model: string}
  | {reason: 'vad-weights-missing'}
  | {reason: 'stdin-empty'}
  | {reason: 'ffmpeg-lacks-format'}
  | {reason: 'ffmpeg-not-found'; envVar: string}
  | {reason: 'ffmpeg-does-not-run'; path: string}
  | {reason: 'capture-needs-device'; inputFormat: string}
  | {reason: 'capture-failed'; problem: 'busy' | 'permission' | 'device' | 'no-device'}

export type ErrorReason = ErrorDetails['reason']

/**
 * The one error type of the project: says what was wrong and how to fix it (in the engine's terms),
 * keeps the original error as `cause`, and the why as `details` for front ends to word.
 */
export class WhisperStreamError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly details: ErrorDetails | undefined

  constructor(code: ErrorCode, message: string, options: {hint?: string; cause?: unknown; details?: ErrorDetails} = {}) {
    super(message, {cause: options.cause})
    this.name = 'WhisperStreamError'
    this.code = code
    this.hint = options.hint
    this.details = options.details
  }

  /** One line for stderr: the problem, then the fix. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message
  }
}

export const isWhisperStreamError = (error: unknown): error is WhisperStreamError => error instanceof WhisperStreamError
