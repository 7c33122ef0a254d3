import {ExitCode} from './exit-codes.js'

/**
 * An AbortSignal that fires on SIGINT/SIGTERM/SIGHUP so the command can flush what is committed
 * and exit on its own; a second signal exits at once.
 */
export function abortOnSignals(): {signal: AbortSignal; received: () => NodeJS.Signals | undefined; dispose: () => void} {
  const controller = new AbortController()
  let received: NodeJS.Signals | undefined
  const handler = (name: NodeJS.Signals): void => {
    if (received !== undefined) process.exit(ExitCode.interrupted)
    received = name
    controller.abort(new Error(`received ${name}`))
  }
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const name of names) process.on(name, handler)
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const name of names) process.off(name, handler)
    },
  }
}

/** Conventional exit status for death by signal: 128 + its number. */
export const signalExitCode = (name: NodeJS.Signals): number =>
  name === 'SIGINT' ? ExitCode.interrupted : name === 'SIGTERM' ? 143 : name === 'SIGHUP' ? 129 : ExitCode.runtime
