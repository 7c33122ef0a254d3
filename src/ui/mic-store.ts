import type {FinalEvent, PartialEvent, StatsEvent} from '../engine/events.js'

/** A committed line as the screen shows it. */
export interface FinalLine {
  id: number
  text: string
  start: number
  end: number
}

export type MicPhase = 'starting' | 'listening' | 'stopping' | 'stopped'

/** Everything the mic screen draws; fed only by engine events and the command. */
export interface MicState {
  finals: FinalLine[]
  partial: string
  /** Seconds of audio captured (paused time included). */
  elapsed: number
  /** RMS level of the latest chunk, 0..1. */
  level: number
  /** From the VAD's voice events; undefined until the first one. */
  speaking: boolean | undefined
  /** Milliseconds of the last inference step. */
  stepMs: number | undefined
  /** Real-time factor of the last step (compute time / audio time). */
  rtf: number | undefined
  paused: boolean
  phase: MicPhase
}

export const initialMicState = (): MicState => ({
  finals: [],
  partial: '',
  elapsed: 0,
  level: 0,
  speaking: undefined,
  stepMs: undefined,
  rtf: undefined,
  paused: false,
  phase: 'starting',
})

type Listener = () => void

/**
 * A tiny external store (read with useSyncExternalStore): the command writes engine events in,
 * the components read snapshots out; key presses come back out as requests the command acts on.
 */
export class MicStore {
  private state: MicState = initialMicState()
  private readonly listeners = new Set<Listener>()
  private readonly quitListeners = new Set<Listener>()

  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): MicState => this.state

  pushFinal(event: FinalEvent): void {
    const line: FinalLine = {id: event.id, text: event.text.trim(), start: event.start, end: event.end}
    this.update({finals: [...this.state.finals, line], partial: ''})
  }

  setPartial(event: PartialEvent): void {
    this.update({partial: event.text.trim()})
  }

  setStats(event: StatsEvent): void {
    this.update({stepMs: event.stepMs, rtf: event.rtf})
  }

  /** Called by the command for each captured chunk (also while paused). */
  setLevel(level: number, elapsed: number): void {
    if (level === this.state.level && elapsed === this.state.elapsed) return
    this.update({level, elapsed, phase: this.state.phase === 'starting' ? 'listening' : this.state.phase})
  }

  setSpeaking(speaking: boolean): void {
    if (speaking !== this.state.speaking) this.update({speaking})
  }

  setPhase(phase: MicPhase): void {
    if (phase !== this.state.phase) this.update({phase})
  }

  /** `p`: flips the paused state (the command reads it for each chunk). */
  togglePause(): void {
    if (this.state.phase === 'stopping' || this.state.phase === 'stopped') return
    const paused = !this.state.paused
    this.update({paused})
  }

  /** `q` / Ctrl-C: asks the command to stop (it flushes, then marks the phase stopped). */
  requestQuit(): void {
    if (this.state.phase === 'stopping' || this.state.phase === 'stopped') return
    this.update({phase: 'stopping'})
    for (const listener of this.quitListeners) listener()
  }

  onQuit(listener: Listener): () => void {
    this.quitListeners.add(listener)
    return () => this.quitListeners.delete(listener)
  }

  private update(patch: Partial<MicState>): void {
    this.state = {...this.state, ...patch}
    for (const listener of this.listeners) listener()
  }
}
