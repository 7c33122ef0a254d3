import {describe, expect, it} from 'vitest'
import {pumpMic} from '../../src/cli/mic-pump.js'
import type {Capture} from '../../src/engine/audio/capture.js'
import type {AsrBackend} from '../../src/engine/stream/asr-backend.js'
import type {EngineEvent} from '../../src/engine/events.js'
import {Streamer} from '../../src/engine/stream/streamer.js'
import type {Sink} from '../../src/output/sink.js'
import {audioOf, makeScript, SAMPLE_RATE, ScriptedBackend} from '../helpers/scripted-backend.js'

/** A microphone that never ends by itself: it yields 200 ms chunks of the script's audio until closed. */
function endlessCapture(): Capture & {closed: boolean; chunks: number} {
  let closed = false
  let chunks = 0
  const chunk = SAMPLE_RATE / 5
  async function* audio(): AsyncGenerator<Float32Array> {
    for (let at = 0; !closed; at += chunk) {
      chunks++
      // One macrotask per chunk, like a device: the streamer's work gets to run in between.
      await new Promise((resolve) => setImmediate(resolve))
      yield audioOf(at, at + chunk)
    }
  }
  return {
    source: {inputFormat: 'lavfi', input: 'test'},
    realtime: true,
    audio: audio(),
    done: Promise.resolve({reason: 'closed'} as never),
    close: () => void (closed = true),
    get closed() {
      return closed
    },
    get chunks() {
      return chunks
    },
  }
}

function memorySink(): Sink & {events: EngineEvent[]} {
  const events: EngineEvent[] = []
  return {events, write: (e) => void events.push(e), end: async () => {}, closed: false, error: undefined}
}

describe('pumpMic', () => {
  it('stops capturing when the transcriber fails, and ends with its error after what was committed', async () => {
    const script = makeScript(3, 120, {pauseMs: [300, 600]})
    const scripted = new ScriptedBackend(script)
    let calls = 0
    const failing: AsrBackend = {
      sampleRate: scripted.sampleRate,
      maxSamples: scripted.maxSamples,
      transcribe: async (...args) => {
        if (++calls > 12) throw new Error('onnxruntime: out of memory')
        return scripted.transcribe(...args)
      },
    }
    const streamer = new Streamer(failing, {vad: false, stepMs: 1000})
    const capture = endlessCapture()
    const sink = memorySink()
    await expect(pumpMic(streamer, capture, [sink], undefined, SAMPLE_RATE)).rejects.toMatchObject({code: 'internal'})
    expect(capture.closed).toBe(true)
    // Finals the transcriber committed before it failed reached the sink.
    expect(sink.events.some((e) => e.type === 'final')).toBe(true)
  })

  it('flushes the tail when capture ends normally', async () => {
    const script = makeScript(4, 20)
    const streamer = new Streamer(new ScriptedBackend(script), {vad: false, stepMs: 1000})
    const chunk = SAMPLE_RATE / 5
    const capture: Capture = {
      source: {inputFormat: 'wav', input: 'x.wav'},
      realtime: true,
      audio: (async function* () {
        for (let at = 0; at < script.length; at += chunk) yield audioOf(at, Math.min(at + chunk, script.length))
      })(),
      done: Promise.resolve({reason: 'end'} as never),
      close: () => {},
    }
    const sink = memorySink()
    await pumpMic(streamer, capture, [sink], undefined, SAMPLE_RATE)
    const text = sink.events.flatMap((e) => (e.type === 'final' ? [e.text] : [])).join(' ')
    expect(text.split(/\s+/).filter(Boolean).length).toBe(script.words.length)
  })
})
