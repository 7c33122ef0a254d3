import {describe, expect, it} from 'vitest'
import type {FinalEvent, WordTiming} from '../../src/engine/events.js'
import {createFormatter} from '../../src/output/formats.js'
import {SubtitleCues, type Cue, type SubtitleOptions} from '../../src/output/subtitle-cues.js'

const w = (text: string, start: number, end: number): WordTiming => ({text, start, end, probability: 0.9})

function final(id: number, words: WordTiming[]): FinalEvent {
  return {
    type: 'final',
    id,
    text: words
      .map((x) => x.text)
      .join('')
      .trim(),
    start: words[0]!.start,
    end: words[words.length - 1]!.end,
    words,
  }
}

// Two finals close together, then one after a pause of almost 4 s.
const finals = [
  final(0, [w(' Hello', 0, 0.5), w(' world,', 0.5, 1.0), w(' this', 1.1, 1.3), w(' is', 1.3, 1.5)]),
  final(1, [w(' a', 1.6, 1.7), w(' test.', 1.7, 2.2)]),
  final(2, [w(' Again', 6.0, 6.5)]),
]

function cuesOf(options: SubtitleOptions): Cue[] {
  const cues = new SubtitleCues(options)
  return [...finals.flatMap((event) => cues.push(event)), ...cues.end()]
}

describe('SubtitleCues (openai-whisper line rules)', () => {
  it('keeps one cue per final by default, timed by its first and last word', () => {
    expect(cuesOf({})).toEqual([
      {start: 0, end: 1.5, text: 'Hello world, this is'},
      {start: 1.6, end: 2.2, text: 'a test.'},
      {start: 6.0, end: 6.5, text: 'Again'},
    ])
  })

  it('wraps lines at the width and still keeps finals as cues when only the width is given', () => {
    expect(cuesOf({maxLineWidth: 12}).map((c) => c.text)).toEqual(['Hello world,\nthis is', 'a test.', 'Again'])
  })

  it('with width and line count, fills cues across finals and breaks at a full cue or a pause over 3 s', () => {
    expect(cuesOf({maxLineWidth: 12, maxLineCount: 2})).toEqual([
      {start: 0, end: 1.7, text: 'Hello world,\nthis is a'},
      {start: 1.7, end: 2.2, text: 'test.'},
      {start: 6.0, end: 6.5, text: 'Again'},
    ])
  })

  it('holds a cue that later words may still fill until they come (or the stream ends)', () => {
    const cues = new SubtitleCues({maxLineWidth: 40, maxLineCount: 2})
    expect(cues.push(finals[0]!)).toEqual([])
    expect(cues.push(finals[1]!)).toEqual([])
    expect(cues.push(finals[2]!)).toEqual([{start: 0, end: 2.2, text: 'Hello world, this is a test.'}])
    expect(cues.end()).toEqual([{start: 6.0, end: 6.5, text: 'Again'}])
  })

  it('highlights each word in turn and fills the gaps between words with the plain cue', () => {
    const cues = new SubtitleCues({highlightWords: true}).push(finals[0]!)
    expect(cues).toEqual([
      {start: 0, end: 0.5, text: '<u>Hello</u> world, this is'},
      {start: 0.5, end: 1.0, text: 'Hello <u>world,</u> this is'},
      {start: 1.0, end: 1.1, text: 'Hello world, this is'},
      {start: 1.1, end: 1.3, text: 'Hello world, <u>this</u> is'},
      {start: 1.3, end: 1.5, text: 'Hello world, this <u>is</u>'},
    ])
  })

  it('gives finals without word times one cue each, as before', () => {
    const cues = new SubtitleCues({maxLineWidth: 5, maxLineCount: 1})
    expect(cues.push({type: 'final', id: 0, text: 'no words here', start: 1, end: 2})).toEqual([{start: 1, end: 2, text: 'no words here'}])
  })
})

describe('srt and vtt writers', () => {
  it('number cues across finals, flush the open cue at the end and never print an arrow in text', () => {
    const srt = createFormatter('srt', {partials: false, subtitles: {maxLineWidth: 12, maxLineCount: 2}})
    const withArrow = final(3, [w(' a-->b', 7, 7.5)])
    const out = srt.header() + [...finals, withArrow].map((event) => srt.event(event)).join('') + srt.footer()
    expect(out).toBe(
      '1\n00:00:00,000 --> 00:00:01,700\nHello world,\nthis is a\n\n' +
        '2\n00:00:01,700 --> 00:00:02,200\ntest.\n\n' +
        '3\n00:00:06,000 --> 00:00:07,500\nAgain a->b\n\n',
    )
    const vtt = createFormatter('vtt', {partials: false})
    expect(vtt.header() + vtt.event(finals[1]!) + vtt.footer()).toBe('WEBVTT\n\n00:00:01.600 --> 00:00:02.200\na test.\n\n')
  })
})
