import {Box, Static, Text} from 'ink'
import type {FinalLine} from './mic-store.js'

export interface TranscriptViewProps {
  finals: FinalLine[]
  partial: string
  /** A fixed width (tests); by default lines take the terminal's width and rewrap when it changes. */
  width?: number
  /** false under NO_COLOR: the partial is marked with "…" instead of being dimmed. */
  color: boolean
}

/** m:ss of a stream time in seconds. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds))
  const minutes = Math.floor(whole / 60)
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`
}

/**
 * Committed lines go to <Static>: written once above the live area, they scroll into the terminal's
 * history and are never redrawn. The partial tail lives below them and is replaced as it changes.
 */
export function TranscriptView({finals, partial, width, color}: TranscriptViewProps) {
  return (
    <>
      <Static items={finals}>
        {(line) => (
          <Box key={line.id} width={width}>
            <Text wrap="wrap">
              <Text dimColor>[{clock(line.start)}]</Text> {line.text}
            </Text>
          </Box>
        )}
      </Static>
      {partial === '' ? null : (
        <Box width={width}>
          <Text dimColor={color} italic={color} wrap="wrap">
            {color ? partial : `… ${partial}`}
          </Text>
        </Box>
      )}
    </>
  )
}
