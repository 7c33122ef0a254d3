// The streaming engine on a real (generated) Whisper model: long streams stay in fixed memory.
import {beforeAll, describe, expect, it} from 'vitest'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {Engine, feedStreamer} from '../../../src/engine/engine.js'
import type {FinalEvent} from '../../../src/engine/events.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import type {AsrBackend} from '../../../src/engine/stream/asr-backend.js'
import {Streamer} from '../../../src/engine/stream/streamer.js'
import {WhisperBackend} from '../../../src/engine/stream/whisper-backend.js'
import {readPcm, speechWithPauses} from '../../helpers/audio-fixtures.js'
import {testModel} from '../../helpers/test-models.js'

const RATE = 16_000
const CHUNK = 3_200

/** Seeded noise with a slow envelope, generated chunk by chunk: nothing of the stream is held. */
async function* noiseStream(seconds: number): AsyncGenerator<Float32Array> {
  const chunk = new Float32Array(CHUNK)
  let state = 12345
  for (let offset = 0; offset < seconds * RATE; offset += CHUNK) {
    for (let i = 0; i < CHUNK; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0
      const envelope = 0.05 + 0.05 * Math.sin((offset + i) / 20_000)
      chunk[i] = ((state / 2 ** 32) * 2 - 1) * envelope
    }
    yield chunk
  }
}

describe('streaming with the generated mini model', () => {
  let model: WhisperModel
  beforeAll(async () => {
    model = await WhisperModel.load(await testModel('mini'))
  })

  it('runs a 20-minute stream in 200 ms chunks in fixed memory', async () => {
    // Greedy only: this case is about memory over a long stream, and random weights would fall back every step.
    const inner = new WhisperBackend(new WindowTranscriber(model, {temperatures: [0]}))
    let maxPrompt = 0
    let calls = 0
    const backend: AsrBackend = {
      sampleRate: inner.sampleRate,
      maxSamples: inner.maxSamples,
      transcribe(audio, prompt, signal, continues) {
        calls++
        maxPrompt = Math.max(maxPrompt, prompt.length)
        return inner.transcribe(audio, prompt, signal, continues)
      },
    }
    const streamer = new Streamer(backend, {stepMs: 10_000, vad: false, maxPromptTokens: 64})
    const storage = streamer.buffer.storage
    const capacity = streamer.buffer.capacity
    const finals: FinalEvent[] = []
    streamer.on('final', (event) => finals.push(event))
    await feedStreamer(streamer, noiseStream(20 * 60), {backpressure: true})

    expect(calls).toBeGreaterThanOrEqual(100)
    expect(streamer.buffer.capacity).toBe(capacity)
    expect(streamer.buffer.storage).toBe(storage)
    expect(capacity).toBe(480_000)
    expect(maxPrompt).toBeLessThanOrEqual(64)
    expect(streamer.backlogSamples).toBe(0)
    // Stream-absolute, monotonic timestamps; ids increase by one.
    finals.forEach((event, i) => {
      expect(event.id).toBe(i)
      expect(event.end).toBeGreaterThanOrEqual(event.start)
      if (i > 0) expect(event.start).toBeGreaterThanOrEqual(finals[i - 1]!.end - 0.001)
    })
    expect(finals.at(-1)!.end).toBeGreaterThan(20 * 60 - 60)
  }, 600_000)

  it('with Silero VAD: no inference during silence, one utterance per speech stretch', async () => {
    const engine = Engine.from(model)
    const wav = await speechWithPauses(
      ['Hello there, this is the first sentence.', 'And here comes the second one.', 'Finally the third.'],
      3,
    )
    const audio = await readPcm(wav)
    const streamer = await engine.openStream({stepMs: 1000, vadSilenceMs: 500})
    const finals: FinalEvent[] = []
    streamer.on('final', (event) => finals.push(event))
    async function* chunks(): AsyncGenerator<Float32Array> {
      for (let i = 0; i < audio.length; i += CHUNK) yield audio.subarray(i, i + CHUNK)
      // A long silence after the speech costs no inference at all.
      const silence = new Float32Array(CHUNK)
      for (let i = 0; i < 50; i++) yield silence
    }
    let stepsAfterSpeech = 0
    streamer.on('stats', (event) => {
      if (event.audio > audio.length / RATE + 1) stepsAfterSpeech++
    })
    await feedStreamer(streamer, chunks(), {backpressure: true})
    expect(stepsAfterSpeech).toBe(0)
    // Three stretches of speech, each finalized on its own: finals fall into three groups separated by the pauses.
    const groups: FinalEvent[][] = []
    for (const event of finals) {
      const last = groups.at(-1)?.at(-1)
      if (!last || event.start - last.end > 2) groups.push([event])
      else groups.at(-1)!.push(event)
    }
    expect(groups.length).toBe(3)
  })
})
