// Word times by DTW over cross-attention (the `_timestamped` outputs) against the exact times of
// held-out synthetic speech: how far each correctly transcribed word's start and end land from its audio.
import type {DecodingOptions} from '../src/engine/decode/window-transcriber.js'
import {Engine} from '../src/engine/engine.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {percentile} from './stats.js'
import type {SyntheticSpeech} from './synthetic-speech.js'
import {alignWords, normalizeWords} from './word-errors.js'

export interface WordTimingQuality {
  decoding: string
  vadFilter: boolean
  /** Reference words the transcript got right: only these are timed. */
  matched: number
  words: number
  /** Seconds between a word's time and its time in the audio, over the matched words. */
  startP50: number | null
  startP90: number | null
  endP50: number | null
  endP90: number | null
}

export async function wordTiming(
  model: WhisperModel,
  speech: SyntheticSpeech,
  pcmChunks: () => AsyncIterable<Float32Array>,
  label: string,
  decoding: Partial<DecodingOptions>,
  vadFilter: boolean,
): Promise<WordTimingQuality> {
  const timed: Array<{word: string; start: number; end: number}> = []
  const transcription = Engine.from(model).transcribeFile(pcmChunks(), {
    decoding: {...decoding, wordTimestamps: true},
    withWords: true,
    vadFilter,
  })
  for await (const event of transcription)
    for (const word of event.words ?? [])
      for (const text of normalizeWords(word.text)) timed.push({word: text, start: word.start, end: word.end})
  const ops = alignWords(
    speech.words.map((w) => w.word),
    timed.map((w) => w.word),
  )
  const starts: number[] = []
  const ends: number[] = []
  for (const op of ops) {
    if (op.op !== 'match') continue
    starts.push(Math.abs(timed[op.hyp]!.start - speech.words[op.ref]!.start))
    ends.push(Math.abs(timed[op.hyp]!.end - speech.words[op.ref]!.end))
  }
  const at = (values: number[], p: number): number | null => (values.length ? Math.round(percentile(values, p) * 1000) / 1000 : null)
  return {
    decoding: label,
    vadFilter,
    matched: starts.length,
    words: speech.words.length,
    startP50: at(starts, 0.5),
    startP90: at(starts, 0.9),
    endP50: at(ends, 0.5),
    endP90: at(ends, 0.9),
  }
}
