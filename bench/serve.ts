// Scenario "serve": concurrent sessions at real-time pace against a `serve` child process, through
// the load harness in bench/serve-load.ts, one server run per session count.
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {runEncoderBatch, type EncoderBatchRow} from './encoder-batch.js'
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

export interface ServeResult extends ServeLoadResult {
  /** One 30 s window's encoder pass at several batch sizes: what batching sessions' steps would save. */
  encoderBatch: EncoderBatchRow[]
}

export async function runServe(model: WhisperModel, options: ServeOptions, progress: Progress): Promise<ServeResult> {
  progress.update(0, 'serve: encoder passes at batch 1, 2, 4, 6')
  const encoderBatch = await runEncoderBatch(model)
  progress.update(0, `serve: ${options.sessions.join(', ')} sessions`)
  return {...(await runServeLoad(options)), encoderBatch}
}
