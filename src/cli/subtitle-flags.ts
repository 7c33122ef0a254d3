import {Flags} from '@oclif/core'
import type {SubtitleOptions} from '../output/subtitle-cues.js'

/** openai-whisper's subtitle options; they shape srt and vtt cues from word times. */
export const subtitleFlags = {
  'max-line-width': Flags.integer({summary: 'srt/vtt: characters in a line before it wraps (word times needed).', min: 1}),
  'max-line-count': Flags.integer({
    summary: 'srt/vtt: lines in a cue; with --max-line-width, cues fill across segments and break at pauses over 3 s.',
    min: 1,
  }),
  'highlight-words': Flags.boolean({summary: 'srt/vtt: one cue per word with the spoken word underlined (word times needed).'}),
}

export interface SubtitleFlagValues {
  'max-line-width'?: number | undefined
  'max-line-count'?: number | undefined
  'highlight-words': boolean
}

export const subtitleOptions = (flags: SubtitleFlagValues): SubtitleOptions => ({
  maxLineWidth: flags['max-line-width'],
  maxLineCount: flags['max-line-count'],
  highlightWords: flags['highlight-words'],
})
