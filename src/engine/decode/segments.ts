/** A run of text tokens between two timestamp tokens; times are timestamp indices within the window. */
export interface TokenSegment {
  tokens: number[]
  start: number
  /** Undefined when the window ended before Whisper closed the segment. */
  end: number | undefined
}

export interface ParsedWindow {
  /** Segments Whisper closed with a timestamp. */
  segments: TokenSegment[]
  /** Text after the last timestamp that no timestamp closed. */
  open: TokenSegment | undefined
  /**
   * Where the next window should begin, as a timestamp index, or undefined when the whole
   * window was consumed (no timestamps, or speech that ended with a single timestamp).
   */
  seekIndex: number | undefined
}

/**
 * Splits Whisper's timestamped output into segments, as OpenAI's long-form loop does:
 * `<|t0|> text <|t1|>` closes a segment, `<|t1|><|t1|>` also opens the next. When the window is
 * not consumed whole, the long-form loop drops the open segment so the next window transcribes it
 * again from the last timestamp.
 */
export function parseTimestamped(tokens: readonly number[], timestampBegin: number, truncated: boolean): ParsedWindow {
  const segments: TokenSegment[] = []
  let start: number | undefined
  let text: number[] = []
  let lastClosed: number | undefined
  for (const token of tokens) {
    if (token >= timestampBegin) {
      const index = token - timestampBegin
      if (start === undefined) {
        start = index
      } else {
        if (text.length > 0) segments.push({tokens: text, start, end: index})
        lastClosed = index
        text = []
        start = undefined
      }
    } else {
      text.push(token)
    }
  }
  const open = text.length > 0 ? {tokens: text, start: start ?? lastClosed ?? 0, end: undefined} : undefined
  const endsWithSingleTimestamp = tokens.length >= 2 && tokens.at(-1)! >= timestampBegin && tokens.at(-2)! < timestampBegin
  // Nothing closed, or speech ended cleanly inside the window: the window is consumed whole.
  const whole = lastClosed === undefined || (endsWithSingleTimestamp && !truncated)
  return {segments, open, seekIndex: whole ? undefined : lastClosed}
}
