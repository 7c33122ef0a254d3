import type {FinalEvent} from './events.js'
import {transcribeLongForm, type LongFormOptions} from './decode/long-form.js'
import {WindowTranscriber, type DecodingOptions} from './decode/window-transcriber.js'
import {WhisperModel, type LoadOptions} from './model/whisper-model.js'
import {SileroVad} from './stream/silero-vad.js'
import {Streamer} from './stream/streamer.js'
import type {StreamerOptions} from './stream/streamer-options.js'
import {WhisperBackend, type WhisperBackendOptions} from './stream/whisper-backend.js'

export interface StreamSettings extends Partial<StreamerOptions> {
  decoding?: Partial<DecodingOptions>
  backend?: Partial<WhisperBackendOptions>
}

export interface FileSettings extends Partial<LongFormOptions> {
  decoding?: Partial<DecodingOptions>
}

/**
 * The one engine object behind every command: a loaded model, shared by any number of streams.
 * It knows nothing of terminals, sockets or flags.
 */
export class Engine {
  private constructor(readonly model: WhisperModel) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<Engine> {
    return new Engine(await WhisperModel.load(dir, options))
  }

  static from(model: WhisperModel): Engine {
    return new Engine(model)
  }

  /** A live stream: push PCM, read partial/final events. Each stream has its own window, cache and VAD state. */
  async openStream(settings: StreamSettings = {}): Promise<Streamer> {
    const {decoding, backend, ...streamer} = settings
    const transcriber = new WindowTranscriber(this.model, decoding)
    const vad = streamer.vad === false ? undefined : await SileroVad.create()
    return new Streamer(new WhisperBackend(transcriber, backend), streamer, vad)
  }

  /** A whole file or pipe through Whisper's long-form algorithm; finals come out as each window is done. */
  transcribeFile(audio: AsyncIterable<Float32Array>, settings: FileSettings = {}): AsyncGenerator<FinalEvent> {
    const {decoding, ...rest} = settings
    return transcribeLongForm(new WindowTranscriber(this.model, decoding), audio, {
      condition: true,
      initialPrompt: [],
      withTokens: false,
      ...rest,
    })
  }

  release(): Promise<void> {
    return this.model.release()
  }
}

/**
 * Pushes a source into a streamer and flushes at its end. With `backpressure` (files read as fast
 * as the CPU allows), reading waits for each step, so every step sees exactly one step of new audio
 * and the output does not depend on machine speed. Without it (live sources), steps coalesce.
 */
export async function feedStreamer(
  streamer: Streamer,
  audio: AsyncIterable<Float32Array>,
  options: {backpressure: boolean; signal?: AbortSignal},
): Promise<void> {
  for await (const chunk of audio) {
    if (options.signal?.aborted) break
    streamer.push(chunk)
    if (options.backpressure) await streamer.drain()
  }
  await streamer.flush()
}
