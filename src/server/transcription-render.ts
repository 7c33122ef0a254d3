import {roundSeconds, type FinalEvent} from '../engine/events.js'
import {createFormatter} from '../output/formats.js'
import type {ResponseFormat} from './transcription-request.js'

export interface TranscriptionResult {
  segments: FinalEvent[]
  duration: number
  language: string | undefined
}

/** The response body in each of OpenAI's formats. */
export function renderTranscription(format: ResponseFormat, job: TranscriptionResult, task: string): {body: string; type: string} {
  const text = job.segments
    .map((s) => s.text.trim())
    .filter(Boolean)
    .join(' ')
  switch (format) {
    case 'json':
      return {body: JSON.stringify({text}), type: 'application/json'}
    case 'verbose_json':
      return {
        type: 'application/json',
        body: JSON.stringify({
          task,
          language: job.language ?? 'en',
          duration: roundSeconds(job.duration),
          text,
          segments: job.segments.map((s, id) => ({
            id,
            seek: Math.floor(s.start * 100),
            start: s.start,
            end: s.end,
            text: s.text,
            tokens: s.tokens ?? [],
            temperature: 0,
          })),
          // OpenAI's word granularity: every word of the transcript with its times.
          ...(job.segments.some((s) => s.words)
            ? {words: job.segments.flatMap((s) => (s.words ?? []).map((w) => ({word: w.text.trim(), start: w.start, end: w.end})))}
            : {}),
        }),
      }
    case 'text':
      return {body: `${text}\n`, type: 'text/plain; charset=utf-8'}
    case 'srt':
    case 'vtt': {
      const formatter = createFormatter(format, {partials: false})
      const body = formatter.header() + job.segments.map((s) => formatter.event(s)).join('') + formatter.footer()
      return {body, type: format === 'srt' ? 'application/x-subrip; charset=utf-8' : 'text/vtt; charset=utf-8'}
    }
  }
}
