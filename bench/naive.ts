// Scenario "naive": the standard approach, for contrast. A buffer that keeps growing (capped only
// by Whisper's 30 s input; when full it is transcribed and dropped whole), the whole buffer
// re-transcribed every step, uncached decoding, no prompt. Same token budget per step as ours.
import {WindowTranscriber} from '../src/engine/decode/window-transcriber.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {defaultWhisperBackendOptions} from '../src/engine/stream/whisper-backend.js'
import {loopedChunks} from './audio.js'
import type {Progress} from './progress.js'
import {msSince, now} from './stats.js'
import type {StreamOptions, TimelineResult} from './stream.js'
import {compactSamples, memorySample, summarise, thin, type StepSample} from './timeline.js'

export async function runNaive(
  model: WhisperModel,
  clip: Float32Array,
  options: StreamOptions,
  progress: Progress,
): Promise<TimelineResult> {
  const transcriber = new WindowTranscriber(model, {cache: false, temperatures: [0]})
  const rate = model.preprocessor.samplingRate
  const capacity = model.preprocessor.nSamples
  const stepSamples = Math.round((options.stepMs / 1000) * rate)
  const buffer = new Float32Array(capacity)
  const {tokensBase, tokensPerSecond} = defaultWhisperBackendOptions
  let length = 0
  let sinceStep = 0
  let consumed = 0
  let finals = 0
  const samples: StepSample[] = []
  const step = async (): Promise<void> => {
    const t = now()
    const maxNewTokens = Math.ceil(tokensBase + (tokensPerSecond * length) / rate)
    await transcriber.transcribe(buffer, length, [], {maxNewTokens})
    if (length >= capacity) {
      length = 0
      finals++
    }
    sinceStep = 0
    samples.push({audio: consumed / rate, stepMs: msSince(t), ...memorySample()})
    progress.update(consumed / rate / options.seconds, `naive: ${(consumed / rate).toFixed(0)} / ${options.seconds} s audio`)
  }
  const start = now()
  for await (const chunk of loopedChunks(clip, options.seconds, options.chunkSamples)) {
    let offset = 0
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, capacity - length)
      buffer.set(chunk.subarray(offset, offset + take), length)
      length += take
      sinceStep += take
      consumed += take
      offset += take
      if (length >= capacity || sinceStep >= stepSamples) await step()
    }
  }
  if (length > 0 && sinceStep > 0) await step()
  return {
    label: 'naive (growing buffer, no cache)',
    settings: {stepMs: options.stepMs, chunkMs: options.chunkSamples / 16, cache: false, bufferCapSeconds: capacity / rate},
    summary: summarise(samples, options.stepMs / 1000, msSince(start) / 1000),
    finals,
    samples: compactSamples(thin(samples)),
  }
}
