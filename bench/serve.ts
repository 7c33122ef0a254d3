// Scenario "serve": concurrent sessions against the WebSocket server, through bench/serve-load.ts
// when that harness exists (it is optional; the report says so when it is missing).
import type {Progress} from './progress.js'

export interface ServeOptions {
  modelDir: string
  sessions: number[]
  seconds: number
  wav: string
}

export interface ServeResult {
  available: boolean
  reason?: string
  result?: unknown
}

export async function runServe(options: ServeOptions, progress: Progress): Promise<ServeResult> {
  let load: {runServeLoad?: (o: Omit<ServeOptions, never>) => Promise<unknown>}
  try {
    const harness = './serve-load.js'
    load = (await import(harness)) as typeof load
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ERR_MODULE_NOT_FOUND' ? 'bench/serve-load.ts is not there yet (the serve harness is a separate piece of work)' : `bench/serve-load.ts failed to load: ${String(error)}`
    return {available: false, reason}
  }
  if (typeof load.runServeLoad !== 'function') return {available: false, reason: 'bench/serve-load.ts does not export runServeLoad'}
  progress.update(0, `serve: ${options.sessions.join(', ')} sessions`)
  return {available: true, result: await load.runServeLoad(options)}
}
