// Scenario "serve": concurrent sessions at real-time pace against a `serve` child process, through
// the load harness in bench/serve-load.ts, one server run per session count.
import type {Progress} from './progress.js'
import {runServeLoad, type ServeLoadResult} from './serve-load.js'

export interface ServeOptions {
  modelDir: string
  sessions: number[]
  seconds: number
  wav: string
  /** More `serve` flags: decoding, weight variant, threads. */
  serveArgs: readonly string[]
}

export type ServeResult = ServeLoadResult

export async function runServe(options: ServeOptions, progress: Progress): Promise<ServeResult> {
  progress.update(0, `serve: ${options.sessions.join(', ')} sessions`)
  return runServeLoad(options)
}
