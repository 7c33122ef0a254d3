import type {EngineEvent, FinalEvent} from '../engine/events.js'
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

const cue = (event: FinalEvent, separator: ',' | '.'): string =>
  `${timecode(event.start, separator)} --> ${timecode(event.end, separator)}\n${event.text}\n\n`

const srt = (): Formatter => {
  let index = 0
  return {
    header: () => '',
    event: (event) => (event.type === 'final' ? `${++index}\n${cue(event, ',')}` : ''),
    footer: () => '',
  }
}

const vtt: Formatter = {
  header: () => 'WEBVTT\n\n',
  event: (event) => (event.type === 'final' ? cue(event, '.') : ''),
  footer: () => '',
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

export function createFormatter(format: Format, options: {partials: boolean}): Formatter {
  switch (format) {
    case 'jsonl':
      return jsonl(options.partials)
    case 'text':
      return text
    case 'srt':
      return srt()
    case 'vtt':
      return vtt
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
