import {WhisperStreamError} from '../errors.js'

/** What is known about a decode when ffmpeg ended without success. */
export interface FfmpegOutcome {
  /** How the input is named to the user: a path, `stdin`, or `lavfi input 'sine'`. */
  label: string
  /** The path or device given, or undefined for a byte stream. */
  input: string | undefined
  inputFormat: string | undefined
  /** ffmpeg's exit code, or null when a signal ended it. */
  code: number | null
  signal: NodeJS.Signals | null
  /** The last lines ffmpeg wrote on stderr (its errors, at -loglevel error). */
  stderr: readonly string[]
  /** The byte stream fed to ffmpeg failed. */
  inputError: Error | undefined
  /** Bytes a byte-stream input delivered. */
  inputBytes: number
}

/** One line that says what went wrong with the input and what to try, from what ffmpeg left behind. */
export function classifyFfmpegFailure(outcome: FfmpegOutcome): WhisperStreamError {
  const {label, input, inputFormat} = outcome
  if (outcome.inputError) {
    return new WhisperStreamError('input-missing', `cannot read ${label}: ${outcome.inputError.message}`, {cause: outcome.inputError})
  }
  if (outcome.signal) {
    return new WhisperStreamError('ffmpeg-failed', `ffmpeg was killed (${outcome.signal}) while decoding ${label}`, {
      hint: 'check memory limits and that nothing else stops ffmpeg',
    })
  }
  if (input === undefined && outcome.inputBytes === 0) {
    return new WhisperStreamError('input-undecodable', 'stdin is empty: no audio data was received', {
      hint: 'pipe an audio or video file in',
      details: {reason: 'stdin-empty'},
    })
  }
  const last = outcome.stderr.at(-1) ?? `ffmpeg exited with code ${outcome.code}`
  if (/Unknown input format|Input format .* not available/i.test(last)) return lacksFormat(label, last)
  if (/does not contain any stream|matches no streams/i.test(last)) {
    return new WhisperStreamError('input-undecodable', `${label} has no audio stream`, {hint: 'give a file with an audio track'})
  }
  // ffmpeg prefixes most messages with the input name; say it once.
  const detail = input !== undefined && last.startsWith(`${input}: `) ? last.slice(input.length + 2) : last
  return new WhisperStreamError('input-undecodable', `${inputFormat ? 'cannot open' : 'cannot decode'} ${label}: ${oneLine(detail)}`, {
    hint: inputFormat ? `check the device name; ffmpeg -sources ${inputFormat} lists them` : 'is it an audio or video file?',
  })
}

/** ffmpeg could not be started at all (the binary vanished or is not executable). */
export function spawnFailure(ffmpegPath: string, error: Error): WhisperStreamError {
  return new WhisperStreamError('ffmpeg-failed', `ffmpeg (${ffmpegPath}) could not be started: ${error.message}`, {cause: error})
}

/** Anything else that went wrong before ffmpeg ran, as one line about the input. */
export function startFailure(error: unknown, label: string): WhisperStreamError {
  if (error instanceof WhisperStreamError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new WhisperStreamError('ffmpeg-failed', `ffmpeg failed on ${label}: ${oneLine(message)}`, {cause: error})
}

const lacksFormat = (label: string, message: string): WhisperStreamError =>
  new WhisperStreamError('input-undecodable', `cannot open ${label}: ${oneLine(message)}`, {
    hint: 'this ffmpeg build lacks that input format; install one that has it',
    details: {reason: 'ffmpeg-lacks-format'},
  })

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()
