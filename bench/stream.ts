// Scenario "stream": audio through our streamer as fast as the CPU allows (200 ms chunks, 1 s
// steps, backpressure: each step sees exactly one step of new audio). Per-step latency and memory.
import {Engine, feedStreamer} from '../src/engine/engine.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {loopedChunks} from './audio.js'
import type {Progress} from './progress.js'
import {msSince, now} from './stats.js'
import {compactSamples, memorySample, summarise, thin, type StepSample, type TimelineSummary} from './timeline.js'

export interface StreamOptions {
  seconds: number
  stepMs: number
  chunkSamples: number
  vad: boolean
  /** Feed each step's previous tokens to the decoder as a draft (ours by default). */
  draft: boolean
}

export interface TimelineResult {
  label: string
  settings: Record<string, unknown>
  summary: TimelineSummary
  finals: number
  /** Times the stream dropped its prompt (speech that committed nothing for 10 s, or a cut loop). */
  promptResets?: number
  /** [audio s, step ms, RSS MB, heap MB], thinned to at most 2000 points. */
  samples: Array<[number, number, number, number]>
}

export async function runStream(
  model: WhisperModel,
  clip: Float32Array,
  options: StreamOptions,
  progress: Progress,
): Promise<TimelineResult> {
  const engine = Engine.from(model)
  // Greedy, as every earlier run of this scenario: random weights fail Whisper's fallback thresholds on
  // every step, which would measure the fallback, not the streamer (the decode scenario prices it).
  const decoding = {temperatures: [0]}
  const streamer = await engine.openStream({
    stepMs: options.stepMs,
    vad: options.vad,
    stats: true,
    noPartials: true,
    backend: {draft: options.draft},
    decoding,
  })
  const samples: StepSample[] = []
  let finals = 0
  let promptResets = 0
  streamer.on('stats', (event) => {
    promptResets = event.promptResets ?? promptResets
    samples.push({audio: event.audio, stepMs: event.stepMs, ...memorySample()})
    progress.update(
      event.audio / options.seconds,
      `stream: ${event.audio.toFixed(0)} / ${options.seconds} s audio, last step ${event.stepMs.toFixed(0)} ms`,
    )
  })
  streamer.on('final', () => finals++)
  const start = now()
  await feedStreamer(streamer, loopedChunks(clip, options.seconds, options.chunkSamples), {backpressure: true})
  const wall = msSince(start) / 1000
  return {
    label: `window (ours, KV cache${options.draft ? ', draft' : ', no draft'}${options.vad ? ', VAD' : ''})`,
    settings: {
      stepMs: options.stepMs,
      chunkMs: options.chunkSamples / 16,
      vad: options.vad,
      cache: true,
      draft: options.draft,
      temperatures: decoding.temperatures,
    },
    summary: summarise(samples, options.stepMs / 1000, wall),
    finals,
    promptResets,
    samples: compactSamples(thin(samples)),
  }
}
