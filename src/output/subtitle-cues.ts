import type {FinalEvent, WordTiming} from '../engine/events.js'

/** How words become subtitle cues, as openai-whisper's subtitle writers take them. */
export interface SubtitleOptions {
  /** Characters in a line before it breaks. */
  maxLineWidth?: number | undefined
  /** Lines in a cue; with maxLineWidth, cues no longer follow segments (and break at pauses over 3 s). */
  maxLineCount?: number | undefined
  /** One cue per word, the spoken word underlined (`<u>…</u>`), gaps filled with the plain cue. */
  highlightWords?: boolean | undefined
}

export interface Cue {
  start: number
  end: number
  text: string
}

const LONG_PAUSE_S = 3

/**
 * Groups the words of finals into cues as they arrive: what can no longer change is returned at
 * once, so subtitles stream. Finals without words are one cue each, as before.
 */
export class SubtitleCues {
  readonly #maxLineWidth: number
  readonly #maxLineCount: number | undefined
  readonly #highlight: boolean
  /** openai-whisper keeps segments as cues unless both limits are given. */
  readonly #preserveSegments: boolean
  #cue: WordTiming[] = []
  #lineLength = 0
  #lineCount = 1
  #last: number | undefined

  constructor(options: SubtitleOptions = {}) {
    this.#maxLineWidth = options.maxLineWidth ?? 1000
    this.#maxLineCount = options.maxLineCount
    this.#highlight = options.highlightWords ?? false
    this.#preserveSegments = options.maxLineCount === undefined || options.maxLineWidth === undefined
  }

  push(event: FinalEvent): Cue[] {
    if (!event.words?.length) return [...this.end(), {start: event.start, end: event.end, text: event.text}]
    const out: Cue[] = []
    this.#last ??= event.words[0]!.start
    event.words.forEach((word, index) => {
      const longPause = !this.#preserveSegments && word.start - this.#last! > LONG_PAUSE_S
      const hasRoom = this.#lineLength + word.text.length <= this.#maxLineWidth
      const segmentBreak = index === 0 && this.#cue.length > 0 && this.#preserveSegments
      let text = word.text
      if (this.#lineLength > 0 && hasRoom && !longPause && !segmentBreak) {
        this.#lineLength += text.length
      } else {
        text = text.trim()
        const full = this.#maxLineCount !== undefined && (longPause || this.#lineCount >= this.#maxLineCount)
        if ((this.#cue.length > 0 && full) || segmentBreak) {
          out.push(...this.#emit())
        } else if (this.#lineLength > 0) {
          this.#lineCount++
          text = `\n${text}`
        }
        this.#lineLength = text.trim().length
      }
      this.#cue.push({...word, text})
      this.#last = word.start
    })
    // A kept segment is complete with its final: nothing later can join it.
    if (this.#preserveSegments) out.push(...this.#emit())
    return out
  }

  /** The cue still open at the end of the stream. */
  end(): Cue[] {
    return this.#emit()
  }

  #emit(): Cue[] {
    const words = this.#cue
    this.#cue = []
    this.#lineLength = 0
    this.#lineCount = 1
    if (words.length === 0) return []
    const text = words.map((w) => w.text).join('')
    const start = words[0]!.start
    const end = words[words.length - 1]!.end
    if (!this.#highlight) return [{start, end, text}]
    const cues: Cue[] = []
    let last = start
    words.forEach((word, index) => {
      if (word.start > last) cues.push({start: last, end: word.start, text})
      const underlined = words.map((w, j) => (j === index ? w.text.replace(/^(\s*)([\s\S]*)$/, '$1<u>$2</u>') : w.text)).join('')
      cues.push({start: word.start, end: word.end, text: underlined})
      last = word.end
    })
    return cues
  }
}
