import {useSyncExternalStore} from 'react'
import {Box, useInput} from 'ink'
import type {MicStore} from './mic-store.js'
import {StatusLine} from './status-line.js'
import {TranscriptView} from './transcript-view.js'
import {useColumns} from './use-columns.js'

export interface MicAppProps {
  store: MicStore
  /** Shown in the status line. */
  model: string
  /** Whether key presses are read (stdin is a terminal). */
  keys: boolean
  /** false under NO_COLOR. */
  color: boolean
  /** A fixed width instead of the terminal's, which is followed through resizes (tests). */
  columns?: number
}

/**
 * The `mic` screen: committed transcript, the partial tail, a status line. It draws the store's state
 * and turns keys into requests (q / Ctrl-C: stop, p: pause); the command does all the work.
 */
export function MicApp({store, model, keys, color, columns}: MicAppProps) {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot)
  const width = useColumns(columns)
  useInput(
    (input, key) => {
      if (input === 'q' || input === 'Q' || (key.ctrl && input === 'c') || key.escape) store.requestQuit()
      else if (input === 'p' || input === 'P' || input === ' ') store.togglePause()
    },
    {isActive: keys},
  )
  return (
    <Box flexDirection="column">
      <TranscriptView finals={state.finals} partial={state.partial} width={columns} color={color} />
      <StatusLine state={state} model={model} columns={width} width={columns} keys={keys} />
    </Box>
  )
}
