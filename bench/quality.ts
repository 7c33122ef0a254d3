// Scenario "quality": transcript quality of the trained model on held-out synthetic speech with exact
// word times. Long-form file WER, streaming-final WER, final latency at real-time pace (in audio-clock
// terms), words lost or doubled, words emitted on silence and on noise, and partial churn.
import type {DecodingOptions} from '../src/engine/decode/window-transcriber.js'
import {Engine, feedStreamer} from '../src/engine/engine.js'
import type {FinalEvent} from '../src/engine/events.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import type {Progress} from './progress.js'
import {percentile} from './stats.js'
import {seededRandom, syntheticSpeech, type SpokenWord, type SyntheticSpeech} from './synthetic-speech.js'
import {alignWords, normalizeWords, wordErrors, type WordErrors} from './word-errors.js'
import {wordTiming, type WordTimingQuality} from './word-timing.js'

const SAMPLE_RATE = 16_000
const CHUNK = 3_200

export interface QualityOptions {
  /** Seconds of held-out speech. */
  seconds: number
  seed: number
  /** Seconds of silence and of noise for the false-word counts. */
  quietSeconds: number
  /** VAD for the stream runs; for the file runs, the VAD filter (speech chunks only). */
  vad: Array<boolean>
  draft: Array<boolean>
  /**
   * Decodings priced: the file runs each; streams run the live default (fallback, 1 beam) for every
   * VAD and draft setting, and each other decoding once (first VAD setting, draft on).
   */
  decodings: QualityDecoding[]
}

/** greedy: temperature 0 only; fallback: Whisper's temperature schedule, 1 beam (live default); beam: the same with 5 beams (file default). */
export const QUALITY_DECODINGS = ['greedy', 'fallback', 'beam'] as const
export type QualityDecoding = (typeof QUALITY_DECODINGS)[number]

const DECODING: Record<QualityDecoding, Partial<DecodingOptions>> = {
  greedy: {temperatures: [0], beamSize: 1},
  fallback: {beamSize: 1},
  beam: {beamSize: 5},
}

export interface FileQuality {
  decoding: QualityDecoding
  /** Only the speech Silero VAD found, chunk by chunk (faster-whisper's vad_filter). */
  vadFilter: boolean
  errors: WordErrors
  wordsOnSilence: number
  wordsOnNoise: number
}

export interface StreamQuality {
  vad: boolean
  draft: boolean
  decoding: QualityDecoding
  errors: WordErrors
  /** Stream WER minus the file WER of the same decoding without VAD filter (else the first file row), in points. */
  werOverFile: number
  /** Seconds from a word's end in the audio to the final that carries it: audio clock at that step plus its compute. */
  latencyP50: number | null
  latencyP90: number | null
  /** Reference words the stream dropped where the file transcription has them. */
  lostVsFile: number
  /** Of the doubled words, those that open a final on the word the previous final closed with: mostly the stream's part. */
  doubledAtCommit: number
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
  files: FileQuality[]
  streams: StreamQuality[]
  /** Word times by DTW on the `_timestamped` twin (the file default decoding), when there was one. */
  wordTiming?: WordTimingQuality[]
}

async function* chunks(pcm: Float32Array): AsyncGenerator<Float32Array> {
  for (let i = 0; i < pcm.length; i += CHUNK) yield pcm.subarray(i, Math.min(pcm.length, i + CHUNK))
}

/** Offline long-form transcription: its finals, in order. */
export async function fileEvents(
  engine: Engine,
  pcm: Float32Array,
  decoding?: Partial<DecodingOptions>,
  vadFilter = false,
): Promise<FinalEvent[]> {
  const events: FinalEvent[] = []
  for await (const event of engine.transcribeFile(chunks(pcm), {decoding, vadFilter})) events.push(event)
  return events
}

/** Offline long-form transcription: its words, in order. */
export async function fileWords(
  engine: Engine,
  pcm: Float32Array,
  decoding?: Partial<DecodingOptions>,
  vadFilter = false,
): Promise<string[]> {
  return (await fileEvents(engine, pcm, decoding, vadFilter)).flatMap((event) => normalizeWords(event.text))
}

export interface StreamRun {
  /** Final words, each with the audio-clock second its final was emitted (step compute included) and that final's index. */
  finals: Array<{word: string; emitted: number; final: number}>
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
  let final = 0
  streamer.on('final', (event) => {
    const emitted = pushed / SAMPLE_RATE + lastStepMs / 1000
    for (const word of normalizeWords(event.text)) {
      finals.push({word, emitted, final})
      sincePartial.push(word)
    }
    final++
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

/**
 * Words that open a final on the word the previous final closed with: one word committed twice across
 * a window slide or trim (or once where the model wrote it early, in the pause before it), where a
 * repeat inside one final is the model's. With the reference, only repeats it does not have (the
 * alignment's insertions) count.
 */
export function commitRepeats(finals: StreamRun['finals'], reference?: readonly string[]): number {
  const inserted = reference
    ? new Set(
        alignWords(
          reference,
          finals.map((f) => f.word),
        ).flatMap((o) => (o.op === 'insert' ? [o.hyp] : [])),
      )
    : undefined
  // Which copy of a run of one word the alignment calls inserted is arbitrary: any in the run counts.
  const runHasInsert = (i: number): boolean => {
    let from = i
    let to = i
    while (from > 0 && finals[from - 1]!.word === finals[i]!.word) from--
    while (to + 1 < finals.length && finals[to + 1]!.word === finals[i]!.word) to++
    for (let k = from; k <= to; k++) if (inserted!.has(k)) return true
    return false
  }
  let repeats = 0
  for (let i = 1; i < finals.length; i++) {
    const repeat = finals[i]!.final !== finals[i - 1]!.final && finals[i]!.word === finals[i - 1]!.word
    if (repeat && (!inserted || runHasInsert(i))) repeats++
  }
  return repeats
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

/** `aligned`: the same weights with the `_timestamped` outputs, to time words by DTW. */
export async function runQuality(
  model: WhisperModel,
  options: QualityOptions,
  progress: Progress,
  aligned?: WhisperModel,
): Promise<QualityResult> {
  const engine = Engine.from(model)
  const speech: SyntheticSpeech = await syntheticSpeech({seconds: options.seconds, seed: options.seed, longPauses: true})
  const reference = speech.words.map((w) => w.word)
  const silence = new Float32Array(Math.round(options.quietSeconds * SAMPLE_RATE))
  const hiss = noise(options.quietSeconds, options.seed + 1)
  const live: QualityDecoding = 'fallback'
  const runs = [
    ...options.vad.flatMap((vad) => options.draft.map((draft) => ({vad, draft, decoding: live}))),
    ...options.decodings.filter((d) => d !== live).map((decoding) => ({vad: options.vad[0] ?? false, draft: true, decoding})),
  ]
  // Whisper's own long-form path always; with VAD on, the VAD filter's too.
  const fileRuns = [false, ...(options.vad.includes(true) ? [true] : [])].flatMap((vadFilter) =>
    options.decodings.map((decoding) => ({decoding, vadFilter})),
  )
  // Word times with the file default (beam) when it runs, else the first decoding.
  const timingDecoding: QualityDecoding = options.decodings.includes('beam') ? 'beam' : (options.decodings[0] ?? 'beam')
  const timingRuns = aligned ? fileRuns.filter((run) => run.decoding === timingDecoding).map((run) => run.vadFilter) : []
  const total = 3 * fileRuns.length + 3 * runs.length + timingRuns.length
  let done = 0
  const tick = (what: string): void => progress.update(++done / total, `quality: ${what}`)

  // The file rows come first: each stream row is compared with the file row of its decoding (or the first).
  const files: FileQuality[] = []
  const fileWordsBy = new Map<FileQuality, string[]>()
  for (const {decoding, vadFilter} of fileRuns) {
    const label = `file, ${decoding}${vadFilter ? ', VAD filter' : ''}`
    const file = await fileWords(engine, speech.pcm, DECODING[decoding], vadFilter)
    tick(label)
    const wordsOnSilence = (await fileWords(engine, silence, DECODING[decoding], vadFilter)).length
    tick(`${label} on silence`)
    const wordsOnNoise = (await fileWords(engine, hiss, DECODING[decoding], vadFilter)).length
    tick(`${label} on noise`)
    const row: FileQuality = {decoding, vadFilter, errors: wordErrors(reference, file), wordsOnSilence, wordsOnNoise}
    fileWordsBy.set(row, file)
    files.push(row)
  }

  const streams: StreamQuality[] = []
  for (const {vad, draft, decoding} of runs) {
    const label = `stream (VAD ${vad ? 'on' : 'off'}, draft ${draft ? 'on' : 'off'}, ${decoding})`
    const run = await streamWords(engine, speech.pcm, vad, draft, DECODING[decoding])
    tick(label)
    const words = run.finals.map((f) => f.word)
    const errors = wordErrors(reference, words)
    const latencies = finalLatencies(speech.words, run)
    const onSilence = (await streamWords(engine, silence, vad, draft, DECODING[decoding])).finals.length
    tick(`${label} on silence`)
    const onNoise = (await streamWords(engine, hiss, vad, draft, DECODING[decoding])).finals.length
    tick(`${label} on noise`)
    const file = files.find((f) => f.decoding === decoding && !f.vadFilter) ?? files[0]
    const fileText = (file && fileWordsBy.get(file)) ?? []
    streams.push({
      vad,
      draft,
      decoding,
      errors,
      werOverFile: file ? Math.round((errors.wer - file.errors.wer) * 100) / 100 : 0,
      latencyP50: latencies.length ? Math.round(percentile(latencies, 0.5) * 100) / 100 : null,
      latencyP90: latencies.length ? Math.round(percentile(latencies, 0.9) * 100) / 100 : null,
      lostVsFile: lostVsFile(reference, fileText, words),
      doubledAtCommit: commitRepeats(run.finals, reference),
      partialChurn: run.partialChurn,
      wordsOnSilence: onSilence,
      wordsOnNoise: onNoise,
    })
  }
  const timings: WordTimingQuality[] = []
  for (const vadFilter of timingRuns) {
    timings.push(await wordTiming(aligned!, speech, () => chunks(speech.pcm), timingDecoding, DECODING[timingDecoding], vadFilter))
    tick(`word times${vadFilter ? ', VAD filter' : ''}`)
  }
  return {
    ...(timings.length ? {wordTiming: timings} : {}),
    audio: speech.description,
    seconds: options.seconds,
    quietSeconds: options.quietSeconds,
    words: reference.length,
    files,
    streams,
  }
}
