// Scenario "quality": transcript quality of the trained model on held-out synthetic speech with exact
// word times. Long-form file WER, streaming-final WER, final latency at real-time pace (in audio-clock
// terms), words lost or doubled, words emitted on silence and on noise, and partial churn.
import type {DecodingOptions} from '../src/engine/decode/window-transcriber.js'
import {Engine, feedStreamer} from '../src/engine/engine.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import type {Progress} from './progress.js'
import {percentile} from './stats.js'
import {seededRandom, syntheticSpeech, type SpokenWord, type SyntheticSpeech} from './synthetic-speech.js'
import {alignWords, normalizeWords, wordErrors, type WordErrors} from './word-errors.js'

const SAMPLE_RATE = 16_000
const CHUNK = 3_200

export interface QualityOptions {
  /** Seconds of held-out speech. */
  seconds: number
  seed: number
  /** Seconds of silence and of noise for the false-word counts. */
  quietSeconds: number
  vad: Array<boolean>
  draft: Array<boolean>
}

export interface StreamQuality {
  vad: boolean
  draft: boolean
  errors: WordErrors
  /** Stream WER minus file WER, in points. */
  werOverFile: number
  /** Seconds from a word's end in the audio to the final that carries it: audio clock at that step plus its compute. */
  latencyP50: number | null
  latencyP90: number | null
  /** Reference words the stream dropped where the file transcription has them. */
  lostVsFile: number
  /** Words a partial showed and a later partial or final changed, per committed word. */
  partialChurn: number
  wordsOnSilence: number
  wordsOnNoise: number
}

export interface QualityResult {
  audio: string
  seconds: number
  quietSeconds: number
  words: number
  file: {errors: WordErrors; wordsOnSilence: number; wordsOnNoise: number}
  streams: StreamQuality[]
}

async function* chunks(pcm: Float32Array): AsyncGenerator<Float32Array> {
  for (let i = 0; i < pcm.length; i += CHUNK) yield pcm.subarray(i, Math.min(pcm.length, i + CHUNK))
}

/** Offline long-form transcription: its words, in order. */
export async function fileWords(engine: Engine, pcm: Float32Array, decoding?: Partial<DecodingOptions>): Promise<string[]> {
  const words: string[] = []
  for await (const event of engine.transcribeFile(chunks(pcm), {decoding})) words.push(...normalizeWords(event.text))
  return words
}

export interface StreamRun {
  /** Final words, each with the audio-clock second its final was emitted (step compute included). */
  finals: Array<{word: string; emitted: number}>
  partialChurn: number
}

/** Streams `pcm` with backpressure (one step of new audio per step, as at real-time pace on a fast machine). */
export async function streamWords(
  engine: Engine,
  pcm: Float32Array,
  vad: boolean,
  draft: boolean,
  decoding?: Partial<DecodingOptions>,
): Promise<StreamRun> {
  const streamer = await engine.openStream({vad, backend: {draft}, stats: true, noPartials: false, decoding})
  let pushed = 0
  let lastStepMs = 0
  const finals: StreamRun['finals'] = []
  let shown: string[] = []
  let sincePartial: string[] = []
  let revised = 0
  streamer.on('stats', (event) => (lastStepMs = event.stepMs))
  streamer.on('final', (event) => {
    const emitted = pushed / SAMPLE_RATE + lastStepMs / 1000
    for (const word of normalizeWords(event.text)) {
      finals.push({word, emitted})
      sincePartial.push(word)
    }
  })
  streamer.on('partial', (event) => {
    // What the reader saw before (the last partial) against what stands now (finals since, then this partial).
    const now = [...sincePartial, ...normalizeWords(event.text)]
    let same = 0
    while (same < shown.length && same < now.length && shown[same] === now[same]) same++
    revised += shown.length - same
    shown = normalizeWords(event.text)
    sincePartial = []
  })
  async function* counted(): AsyncGenerator<Float32Array> {
    for await (const chunk of chunks(pcm)) {
      pushed += chunk.length
      yield chunk
    }
  }
  await feedStreamer(streamer, counted(), {backpressure: true})
  return {finals, partialChurn: finals.length === 0 ? 0 : Math.round((1000 * revised) / finals.length) / 1000}
}

/** Latency of each reference word the stream got right: emit time minus the word's end. */
export function finalLatencies(reference: readonly SpokenWord[], run: StreamRun): number[] {
  const ops = alignWords(
    reference.map((w) => w.word),
    run.finals.map((f) => f.word),
  )
  return ops.flatMap((o) => (o.op === 'match' ? [run.finals[o.hyp]!.emitted - reference[o.ref]!.end] : []))
}

/** Reference words the file transcription has and the stream does not. */
function lostVsFile(reference: readonly string[], file: readonly string[], stream: readonly string[]): number {
  const fileHas = new Set(alignWords(reference, file).flatMap((o) => (o.op === 'match' ? [o.ref] : [])))
  const streamHas = new Set(alignWords(reference, stream).flatMap((o) => (o.op === 'match' ? [o.ref] : [])))
  let lost = 0
  for (const ref of fileHas) if (!streamHas.has(ref)) lost++
  return lost
}

/** Seeded white noise at about -40 dBFS RMS. */
export function noise(seconds: number, seed: number): Float32Array {
  const rand = seededRandom(seed)
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE))
  for (let i = 0; i < out.length; i++) out[i] = (rand() - 0.5) * 0.035
  return out
}

export async function runQuality(model: WhisperModel, options: QualityOptions, progress: Progress): Promise<QualityResult> {
  const engine = Engine.from(model)
  const speech: SyntheticSpeech = await syntheticSpeech({seconds: options.seconds, seed: options.seed, longPauses: true})
  const reference = speech.words.map((w) => w.word)
  const silence = new Float32Array(Math.round(options.quietSeconds * SAMPLE_RATE))
  const hiss = noise(options.quietSeconds, options.seed + 1)
  const runs = options.vad.flatMap((vad) => options.draft.map((draft) => ({vad, draft})))
  const total = 3 + 3 * runs.length
  let done = 0
  const tick = (what: string): void => progress.update(++done / total, `quality: ${what}`)

  const file = await fileWords(engine, speech.pcm)
  tick('file')
  const fileErrors = wordErrors(reference, file)
  const fileSilence = (await fileWords(engine, silence)).length
  tick('file on silence')
  const fileNoise = (await fileWords(engine, hiss)).length
  tick('file on noise')

  const streams: StreamQuality[] = []
  for (const {vad, draft} of runs) {
    const label = `stream (VAD ${vad ? 'on' : 'off'}, draft ${draft ? 'on' : 'off'})`
    const run = await streamWords(engine, speech.pcm, vad, draft)
    tick(label)
    const words = run.finals.map((f) => f.word)
    const errors = wordErrors(reference, words)
    const latencies = finalLatencies(speech.words, run)
    const onSilence = (await streamWords(engine, silence, vad, draft)).finals.length
    tick(`${label} on silence`)
    const onNoise = (await streamWords(engine, hiss, vad, draft)).finals.length
    tick(`${label} on noise`)
    streams.push({
      vad,
      draft,
      errors,
      werOverFile: Math.round((errors.wer - fileErrors.wer) * 100) / 100,
      latencyP50: latencies.length ? Math.round(percentile(latencies, 0.5) * 100) / 100 : null,
      latencyP90: latencies.length ? Math.round(percentile(latencies, 0.9) * 100) / 100 : null,
      lostVsFile: lostVsFile(reference, file, words),
      partialChurn: run.partialChurn,
      wordsOnSilence: onSilence,
      wordsOnNoise: onNoise,
    })
  }
  return {
    audio: speech.description,
    seconds: options.seconds,
    quietSeconds: options.quietSeconds,
    words: reference.length,
    file: {errors: fileErrors, wordsOnSilence: fileSilence, wordsOnNoise: fileNoise},
    streams,
  }
}
