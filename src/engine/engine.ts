import type {FinalEvent} from './events.js'
import {transcribeLongForm, type LongFormOptions} from './decode/long-form.js'
import {resolveSpeechChunkOptions, speechChunks, type SpeechChunkOptions} from './decode/speech-chunks.js'
import {transcribeSpeechChunks} from './decode/speech-long-form.js'
import {WindowTranscriber, type DecodingOptions, type InferenceGate} from './decode/window-transcriber.js'
import {WhisperModel, type LoadOptions} from './model/whisper-model.js'
import {SileroVad} from './stream/silero-vad.js'
import {Streamer} from './stream/streamer.js'
import type {StreamerOptions} from './stream/streamer-options.js'
import {WhisperBackend, type WhisperBackendOptions} from './stream/whisper-backend.js'

export interface StreamSettings extends Partial<StreamerOptions> {
  decoding?: Partial<DecodingOptions>
  backend?: Partial<WhisperBackendOptions>
  /** Every inference step of the stream waits for its turn here (serve's fair scheduler). */
  gate?: InferenceGate
}

export interface FileSettings extends Partial<LongFormOptions> {
  decoding?: Partial<DecodingOptions>
  gate?: InferenceGate
  /** Transcribe only the speech Silero VAD finds, chunk by chunk (faster-whisper's vad_filter); off by default, as in Whisper. */
  vadFilter?: boolean | Partial<SpeechChunkOptions>
}

/** Finals as each window is done; `language` is known once the first window was heard. */
export interface FileTranscription extends AsyncIterable<FinalEvent> {
  readonly language: string | undefined
}

/**
 * The one engine object behind every command: a loaded model, shared by any number of streams.
 * It knows nothing of terminals, sockets or flags.
 */
export class Engine {
  #vad: Promise<SileroVad> | undefined
  /** @internal The loaded model (its ONNX sessions included): for the server and the benches, not the public API. */
  readonly model: WhisperModel

  private constructor(model: WhisperModel) {
    this.model = model
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<Engine> {
    return new Engine(await WhisperModel.load(dir, options))
  }

  /** @internal */
  static from(model: WhisperModel): Engine {
    return new Engine(model)
  }

  /**
   * A live stream: push PCM, read partial/final events. Each stream has its own window, decoder
   * cache and VAD state; the model and the VAD weights are shared.
   */
  async openStream(settings: StreamSettings = {}): Promise<Streamer> {
    const {decoding, backend, gate, ...streamer} = settings
    const transcriber = new WindowTranscriber(this.model, decoding, gate)
    const vad = streamer.vad === false ? undefined : (await this.#sharedVad()).fork()
    return new Streamer(new WhisperBackend(transcriber, backend), streamer, vad)
  }

  /** A whole file or pipe through Whisper's long-form algorithm; finals come out as each window is done. */
  transcribeFile(audio: AsyncIterable<Float32Array>, settings: FileSettings = {}): FileTranscription {
    const {decoding, gate, vadFilter, ...rest} = settings
    const transcriber = new WindowTranscriber(this.model, decoding, gate)
    const longForm: LongFormOptions = {condition: true, initialPrompt: [], withTokens: false, ...rest}
    const events = vadFilter
      ? this.#speechOnly(transcriber, audio, resolveSpeechChunkOptions(vadFilter === true ? {} : vadFilter), longForm)
      : transcribeLongForm(transcriber, audio, longForm)
    return {
      [Symbol.asyncIterator]: () => events,
      get language() {
        return transcriber.language
      },
    }
  }

  async release(): Promise<void> {
    const vad = this.#vad
    this.#vad = undefined
    await Promise.all([
      this.model.release(),
      vad?.then(
        (v) => v.close(),
        () => undefined,
      ),
    ])
  }

  async *#speechOnly(
    transcriber: WindowTranscriber,
    audio: AsyncIterable<Float32Array>,
    chunking: SpeechChunkOptions,
    options: LongFormOptions,
  ): AsyncGenerator<FinalEvent> {
    const vad = (await this.#sharedVad()).fork()
    const chunks = speechChunks(audio, vad, this.model.preprocessor.samplingRate, chunking, options.signal)
    yield* transcribeSpeechChunks(transcriber, chunks, options)
  }

  #sharedVad(): Promise<SileroVad> {
    this.#vad ??= SileroVad.create()
    return this.#vad
  }
}

/**
 * Pushes a source into a streamer and flushes at its end. With `backpressure` (files read as fast
 * as the CPU allows), reading waits for each step, so every step sees exactly one step of new audio
 * and the output does not depend on machine speed. Without it (live sources), steps coalesce.
 * Once the streamer fails (or the signal aborts), reading stops at once, even mid-wait for the next
 * chunk: the source is closed (a decoder is stopped) rather than read to its end for nothing.
 */
export async function feedStreamer(
  streamer: Streamer,
  audio: AsyncIterable<Float32Array>,
  options: {backpressure: boolean; signal?: AbortSignal},
): Promise<void> {
  const iterator = audio[Symbol.asyncIterator]()
  let stop = (): void => {}
  const stopped = new Promise<'stopped'>((resolve) => (stop = () => resolve('stopped')))
  const offError = streamer.on('error', stop)
  options.signal?.addEventListener('abort', stop, {once: true})
  let exhausted = false
  try {
    while (!streamer.failed && !options.signal?.aborted) {
      const pending = iterator.next()
      const next = await Promise.race([pending, stopped])
      if (next === 'stopped') {
        // Left behind: its outcome no longer matters, but it must not become an unhandled rejection.
        pending.catch(() => {})
        break
      }
      if (next.done) {
        exhausted = true
        break
      }
      streamer.push(next.value)
      if (options.backpressure) await streamer.drain()
    }
  } finally {
    offError()
    options.signal?.removeEventListener('abort', stop)
    if (!exhausted) {
      // A decoder (AudioStream) stops now; any other source ends once its pending chunk settles.
      if (isClosable(audio)) audio.close()
      if (iterator.return) iterator.return().catch(() => {})
    }
  }
  await streamer.flush()
}

const isClosable = (source: object): source is {close: () => void} => typeof (source as {close?: unknown}).close === 'function'
