import type {WhisperStreamError} from '../engine/errors.js'

/**
 * An engine error in the words of serve's clients: they set `language` and `task` fields (a start
 * message, a form field), they send bytes rather than a file, and they cannot act on the server's own
 * setup. Anything else reads as the engine wrote it.
 */
export function clientMessage(error: WhisperStreamError): string {
  const details = error.details
  switch (details?.reason) {
    case 'english-only-language':
      return `${details.model} is an English-only model and cannot take language "${details.language}" (leave language out or use "en")`
    case 'english-only-translate':
      return `${details.model} is an English-only model and cannot translate (use task "transcribe")`
    case 'stdin-empty':
      return 'no audio data was received'
    case 'ffmpeg-lacks-format':
    case 'ffmpeg-not-found':
    case 'ffmpeg-does-not-run':
    case 'vad-weights-missing':
      return `${error.message} (a problem of the server's installation)`
    default:
      return error.line
  }
}
