// Scenario "serve": concurrent sessions at real-time pace against a `serve` child process, through
// the load harness in bench/serve-load.ts, one server run per session count.
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {runEncoderBatch, type EncoderBatchRow} from './encoder-batch.js'
import type {Progress} from './progress.js'
import {runServeLoad, type ServeLoadResult, type ServeLoadRun} from './serve-load.js'

export interface ServeOptions {
  modelDir: string
  sessions: number[]
  seconds: number
  wav: string
  /** More `serve` flags: decoding, weight variant, threads. */
  serveArgs: readonly string[]
}

export interface ServeResult extends ServeLoadResult {
  /** One 30 s window's encoder pass at several batch sizes: what batching sessions' steps would save. */
  encoderBatch: EncoderBatchRow[]
  /**
   * The same load with every session's step running at once (`--concurrency N`) and their encoder passes
   * batched (`--encoder-batch N`), N the session count; counts from 4 on, until one is not held.
   */
  batched: ServeLoadRun[]
}

/** Session counts the batched server is tried at (below 4 the unbatched one holds with room to spare). */
const BATCHED_FROM = 4

export async function runServe(model: WhisperModel, options: ServeOptions, progress: Progress): Promise<ServeResult> {
  progress.update(0, 'serve: encoder passes at batch 1, 2, 4, 6')
  const encoderBatch = await runEncoderBatch(model)
  progress.update(0, `serve: ${options.sessions.join(', ')} sessions`)
  const plain = await runServeLoad(options)
  const batched: ServeLoadRun[] = []
  for (const sessions of options.sessions.filter((n) => n >= BATCHED_FROM)) {
    progress.update(0, `serve: ${sessions} sessions, their encoder passes batched`)
    const args = [...options.serveArgs, '--concurrency', String(sessions), '--encoder-batch', String(sessions)]
    const run = (await runServeLoad({...options, sessions: [sessions], serveArgs: args})).runs[0]!
    batched.push(run)
    if (!run.held) break
  }
  return {...plain, encoderBatch, batched}
}
