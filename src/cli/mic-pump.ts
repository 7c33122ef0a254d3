import type {Capture} from '../engine/audio/capture.js'
import {rms} from '../engine/audio/pcm.js'
import type {EngineEvent} from '../engine/events.js'
import type {Streamer} from '../engine/stream/streamer.js'
import type {Sink} from '../output/sink.js'
import type {MicView} from '../ui/render-mic.js'

/**
 * Capture → (unless paused) streamer; events → sinks and screen; flush at the end of capture.
 * A failed streamer stops the capture at once, so the command ends with the failure (thrown by
 * flush) instead of capturing into a dead transcriber until someone presses q.
 */
export async function pumpMic(
  streamer: Streamer,
  capture: Capture,
  sinks: readonly Sink[],
  view: MicView | undefined,
  sampleRate: number,
): Promise<void> {
  const write = (event: EngineEvent): void => {
    for (const sink of sinks) sink.write(event)
  }
  streamer.on('final', (event) => {
    write(event)
    view?.pushFinal(event)
  })
  streamer.on('partial', (event) => {
    write(event)
    view?.setPartial(event)
  })
  streamer.on('stats', (event) => view?.setStats(event))
  streamer.on('voice', (event) => view?.setSpeaking(event.speaking))
  let failed = false
  streamer.on('error', () => {
    failed = true
    capture.close()
  })
  view?.setPhase('listening')
  let samples = 0
  for await (const chunk of capture.audio) {
    if (failed) break
    samples += chunk.length
    if (view) {
      view.setLevel(view.paused ? 0 : rms(chunk), samples / sampleRate)
      if (view.paused) continue
    }
    streamer.push(chunk)
  }
  view?.setPhase('stopping')
  await streamer.flush()
}
