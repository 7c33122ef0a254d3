import {render, type Instance} from 'ink'
import type {FinalEvent, PartialEvent, StatsEvent} from '../engine/events.js'
import {MicApp} from './mic-app.js'
import {MicStore, type MicPhase} from './mic-store.js'

export interface RenderMicProps {
  model: string
  /** Read keys (needs stdin to be a terminal); without them, stop with Ctrl-C as a signal. */
  keys: boolean
  color: boolean
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
}

/** What the command drives: engine events in, key requests out. */
/** What the capture loop drives on the screen. */
export interface MicView {
  readonly paused: boolean
  pushFinal(event: FinalEvent): void
  setPartial(event: PartialEvent): void
  setStats(event: StatsEvent): void
  setLevel(level: number, elapsed: number): void
  setSpeaking(speaking: boolean): void
  setPhase(phase: MicPhase): void
}

export interface MicUi extends MicView {
  readonly store: MicStore
  onQuit(listener: () => void): () => void
  /** Shows the final frame and gives the terminal back. */
  close(): Promise<void>
}

/** Mounts the mic screen on the terminal. */
export function renderMic(props: RenderMicProps): MicUi {
  const store = new MicStore()
  const instance: Instance = render(<MicApp store={store} model={props.model} keys={props.keys} color={props.color} />, {
    stdout: props.stdout ?? process.stdout,
    stdin: props.stdin ?? process.stdin,
    // Ctrl-C arrives as a key (raw mode) and stops gracefully, like q.
    exitOnCtrlC: false,
    patchConsole: false,
  })
  let closed: Promise<void> | undefined
  return {
    store,
    pushFinal: (event) => store.pushFinal(event),
    setPartial: (event) => store.setPartial(event),
    setStats: (event) => store.setStats(event),
    setLevel: (level, elapsed) => store.setLevel(level, elapsed),
    setSpeaking: (speaking) => store.setSpeaking(speaking),
    setPhase: (phase) => store.setPhase(phase),
    get paused() {
      return store.getSnapshot().paused
    },
    onQuit: (listener) => store.onQuit(listener),
    close: () => {
      closed ??= (async () => {
        store.setPhase('stopped')
        // Let React commit the last state before unmounting (Ink renders the final frame on unmount).
        await new Promise((resolve) => setTimeout(resolve, 50))
        instance.unmount()
        await instance.waitUntilExit().catch(() => undefined)
      })()
      return closed
    },
  }
}
