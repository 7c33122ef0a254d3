import {Box, Text} from 'ink'
import type {MicState} from './mic-store.js'
import {clock} from './transcript-view.js'

export interface StatusLineProps {
  state: Pick<MicState, 'elapsed' | 'level' | 'speaking' | 'stepMs' | 'rtf' | 'paused' | 'phase'>
  model: string
  /** Width to fit the segments into. */
  columns: number
  /** A fixed box width (tests); by default the terminal's. */
  width?: number
  /** Key hints are shown only when keys work (stdin is a terminal). */
  keys: boolean
}

interface Segment {
  text: string
  color?: string
  dim?: boolean
  bold?: boolean
  /** Lower goes first when the line is too narrow. */
  priority: number
}

const METER_CELLS = 10
const SEPARATOR = '  '

/** A level meter: RMS 0..1 on a log scale (−60 dBFS … 0), `cells` wide. */
export function levelMeter(level: number, cells = METER_CELLS): string {
  const db = level > 0 ? 20 * Math.log10(level) : -Infinity
  const filled = Math.max(0, Math.min(cells, Math.round(((db + 60) / 60) * cells)))
  return '█'.repeat(filled) + '░'.repeat(cells - filled)
}

/** The status segments; when space is short the lowest priority goes first (model, step latency, then the rest). */
export function statusSegments({state, model, keys}: Pick<StatusLineProps, 'state' | 'model' | 'keys'>): Segment[] {
  const segments: Segment[] = []
  const {phase, paused} = state
  if (phase === 'stopping') segments.push({text: '■ stopping: finishing the last words…', color: 'yellow', bold: true, priority: 10})
  else if (phase === 'stopped') segments.push({text: '■ stopped', bold: true, priority: 10})
  else if (paused) segments.push({text: '❚❚ PAUSED: audio is dropped', color: 'yellow', bold: true, priority: 10})
  else if (phase === 'starting') segments.push({text: '○ starting', dim: true, priority: 10})
  else segments.push({text: '● REC', color: 'red', bold: true, priority: 10})
  segments.push({text: clock(state.elapsed), priority: 9})
  if (!paused && phase === 'listening') {
    segments.push({text: levelMeter(state.level), color: 'green', priority: 6})
    // Before the first step there is no VAD verdict yet; with the VAD on, no step means no speech.
    segments.push(state.speaking ? {text: 'speaking', color: 'green', priority: 8} : {text: 'silent', dim: true, priority: 8})
  }
  if (state.stepMs !== undefined) segments.push({text: `step ${Math.round(state.stepMs)} ms`, priority: 4})
  if (state.rtf !== undefined) segments.push({text: `rtf ${state.rtf.toFixed(2)}`, color: state.rtf > 1 ? 'red' : undefined, priority: 5})
  segments.push({text: model, color: 'cyan', priority: 3})
  if (keys && phase !== 'stopping' && phase !== 'stopped')
    segments.push({text: paused ? 'p resume · q quit' : 'p pause · q quit', dim: true, priority: 5.5})
  return segments
}

/** Drops the least important segments until the line fits `columns`. */
export function fitSegments(segments: Segment[], columns: number): Segment[] {
  const kept = [...segments]
  const width = (list: Segment[]): number =>
    list.reduce((sum, s) => sum + s.text.length, 0) + SEPARATOR.length * Math.max(0, list.length - 1)
  while (kept.length > 1 && width(kept) > columns) {
    let lowest = 0
    for (let i = 1; i < kept.length; i++) if (kept[i].priority < kept[lowest].priority) lowest = i
    kept.splice(lowest, 1)
  }
  return kept
}

/** One line: recording state, elapsed time, level meter, VAD, step latency, RTF, model, keys. */
export function StatusLine(props: StatusLineProps) {
  const segments = fitSegments(statusSegments(props), props.columns)
  return (
    <Box width={props.width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        {segments.map((segment, i) => (
          <Text key={i}>
            {i > 0 ? SEPARATOR : ''}
            <Text color={segment.color} dimColor={segment.dim} bold={segment.bold}>
              {segment.text}
            </Text>
          </Text>
        ))}
      </Text>
    </Box>
  )
}
