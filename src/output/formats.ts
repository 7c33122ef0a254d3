import type {EngineEvent} from '../engine/events.js'
import {SubtitleCues, type Cue, type SubtitleOptions} from './subtitle-cues.js'
import {timecode} from './timecode.js'

export const formats = ['jsonl', 'text', 'srt', 'vtt', 'json'] as const
export type Format = (typeof formats)[number]

/**
 * Turns engine events into the bytes of one output format. Each call returns what to write now,
 * so every format streams (json, a single document, writes its closing part at the end).
 */
export interface Formatter {
  header(): string
  event(event: EngineEvent): string
  footer(): string
}

const jsonl = (partials: boolean): Formatter => ({
  header: () => '',
  event: (event) => (event.type === 'final' || (partials && event.type === 'partial') ? `${JSON.stringify(event)}\n` : ''),
  footer: () => '',
})

const text: Formatter = {
  header: () => '',
  event: (event) => (event.type === 'final' ? `${event.text}\n` : ''),
  footer: () => '',
}

// A cue's text may not contain the arrow that separates its times.
const cueBlock = (cue: Cue, separator: ',' | '.'): string =>
  `${timecode(cue.start, separator)} --> ${timecode(cue.end, separator)}\n${cue.text.replaceAll('-->', '->')}\n\n`

/** SRT or WebVTT: finals (or, with word times, the cues their words make) as numbered or plain cues. */
const subtitles = (kind: 'srt' | 'vtt', options: SubtitleOptions): Formatter => {
  const cues = new SubtitleCues(options)
  let index = 0
  const write = (list: Cue[]): string =>
    list.map((cue) => (kind === 'srt' ? `${++index}\n${cueBlock(cue, ',')}` : cueBlock(cue, '.'))).join('')
  return {
    header: () => (kind === 'vtt' ? 'WEBVTT\n\n' : ''),
    event: (event) => (event.type === 'final' ? write(cues.push(event)) : ''),
    footer: () => write(cues.end()),
  }
}

/** One JSON document: {"text", "segments": [...]}; segments are written as they come. */
const json = (): Formatter => {
  let count = 0
  const texts: string[] = []
  return {
    header: () => '{"segments":[',
    event: (event) => {
      if (event.type !== 'final') return ''
      texts.push(event.text)
      return `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(event)}`
    },
    footer: () => `\n],"text":${JSON.stringify(texts.join(' '))}}\n`,
  }
}

export interface FormatOptions {
  partials: boolean
  /** Line width, line count and word highlighting of srt and vtt cues (they need word times). */
  subtitles?: SubtitleOptions | undefined
}

export function createFormatter(format: Format, options: FormatOptions): Formatter {
  switch (format) {
    case 'jsonl':
      return jsonl(options.partials)
    case 'text':
      return text
    case 'srt':
    case 'vtt':
      return subtitles(format, options.subtitles ?? {})
    case 'json':
      return json()
  }
}

/** `.srt` → srt, `.jsonl` → jsonl …; undefined when the extension names no format. */
export function formatFromPath(path: string): Format | undefined {
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  if (extension === 'txt') return 'text'
  return (formats as readonly string[]).includes(extension) ? (extension as Format) : undefined
}
