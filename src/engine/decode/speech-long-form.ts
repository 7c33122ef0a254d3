import {samplesToSeconds, type FinalEvent} from '../events.js'
import {transcribeLongForm, type LongFormOptions} from './long-form.js'
import type {SpeechChunk} from './speech-chunks.js'
import type {WindowTranscriber} from './window-transcriber.js'

/**
 * Whisper's long-form algorithm over each chunk of speech in turn, with the source's times and one
 * run of ids. Each chunk starts from the initial prompt (as WhisperX's chunks do): text carried across
 * a pause is how a hallucinated loop outlives the audio that caused it.
 */
export async function* transcribeSpeechChunks(
  transcriber: WindowTranscriber,
  chunks: AsyncIterable<SpeechChunk>,
  options: LongFormOptions,
): AsyncGenerator<FinalEvent> {
  const sampleRate = transcriber.model.preprocessor.samplingRate
  let nextId = options.firstId ?? 0
  for await (const chunk of chunks) {
    const pieceOptions: LongFormOptions = {...options, startSample: chunk.start, firstId: nextId, onProgress: undefined}
    for await (const event of transcribeLongForm(transcriber, only(chunk.audio), pieceOptions)) {
      nextId = event.id + 1
      yield event
    }
    options.onProgress?.(samplesToSeconds(chunk.start + chunk.audio.length, sampleRate))
  }
}

async function* only(audio: Float32Array): AsyncGenerator<Float32Array> {
  yield audio
}
