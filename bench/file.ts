// Scenario "file": our long-form transcription of a long file against @huggingface/transformers's
// ASR pipeline on the same model files, audio and thread count (alternating runs), whether the
// two agree, and decoding speed per token against transformers.js `generate`.
import path from 'node:path'
import {CachedDecoder} from '../src/engine/decode/decoder-runner.js'
import {argmax, LogitsRules} from '../src/engine/decode/logits-rules.js'
import {WindowTranscriber} from '../src/engine/decode/window-transcriber.js'
import {Engine} from '../src/engine/engine.js'
import {partsOf, type DtypeChoice} from '../src/engine/store/registry.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {loopTo, SAMPLE_RATE} from './audio.js'
import type {Progress} from './progress.js'
import {median, msSince, now, round} from './stats.js'

export interface FileOptions {
  seconds: number
  threads: number
  /** Runs per implementation, alternating (ours, theirs, theirs, ours, …). */
  reps: number
  /** Tokens for the per-token decoding comparison. */
  tokens: number
  tokenReps: number
  /** The weight variant; transformers.js loads the same files (a per-part choice as its {encoder_model, decoder_model_merged}). */
  dtype?: DtypeChoice
}

export interface FileResult {
  available: boolean
  reason?: string
  audioSeconds: number
  threads: number
  ours: {wallSeconds: number[]; rtf: number | null; words: number; segments: number; tokens: number; msPerToken: number | null}
  theirs?: {
    wallSeconds: number[]
    rtf: number | null
    words: number
    chunks: number
    tokens: number
    msPerToken: number | null
    settings: Record<string, unknown>
  }
  /** Their wall time per output token over ours (above 1: ours is faster per token); the two may emit very different amounts. */
  perTokenSpeedup?: number | null
  /** theirs / ours wall time (above 1: ours is faster). */
  speedup: number | null
  /** Word-level agreement of the two transcripts: 2·LCS / (words ours + words theirs). */
  wordAgreement: number | null
  firstWindow?: {identical: boolean; sharedPrefix: number; oursTokens: number; theirsTokens: number}
  decoding?: {tokens: number; oursMsPerToken: number | null; theirsMsPerToken: number | null; speedup: number | null; method: string}
  notes: string[]
}

type Transformers = typeof import('@huggingface/transformers')

/** Loads the optional peer; undefined (and the reason) when it is not installed. */
export async function loadTransformers(): Promise<{lib?: Transformers; reason?: string}> {
  try {
    const name = '@huggingface/transformers'
    return {lib: (await import(name)) as Transformers}
  } catch (error) {
    return {
      reason: `@huggingface/transformers is not installed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); npm i -D @huggingface/transformers to compare`,
    }
  }
}

export async function runFile(
  model: WhisperModel,
  modelDir: string,
  clip: Float32Array,
  options: FileOptions,
  progress: Progress,
): Promise<FileResult> {
  const audio = loopTo(clip, options.seconds)
  const audioSeconds = audio.length / SAMPLE_RATE
  const engine = Engine.from(model)
  const notes: string[] = []
  const ours = async (): Promise<{wall: number; text: string; segments: number; tokens: number}> => {
    const start = now()
    const words: string[] = []
    let segments = 0
    let tokens = 0
    const chunks = async function* (): AsyncGenerator<Float32Array> {
      for (let i = 0; i < audio.length; i += 3_200) yield audio.subarray(i, Math.min(audio.length, i + 3_200))
    }
    for await (const event of engine.transcribeFile(chunks(), {withTokens: true, decoding: {temperatures: [0]}})) {
      words.push(event.text)
      segments++
      tokens += event.tokens?.length ?? 0
    }
    return {wall: msSince(start) / 1000, text: words.join(' '), segments, tokens}
  }

  const {lib, reason} = await loadTransformers()
  const oursWalls: number[] = []
  let oursText = ''
  let oursSegments = 0
  let oursTokens = 0
  const runOurs = async (): Promise<void> => {
    const r = await ours()
    oursWalls.push(r.wall)
    oursText = r.text
    oursSegments = r.segments
    oursTokens = r.tokens
  }
  const oursSummary = () => {
    const o = median(oursWalls)
    return {
      wallSeconds: oursWalls.map((w) => round(w, 2) ?? 0),
      rtf: round(o / audioSeconds, 4),
      words: countWords(oursText),
      segments: oursSegments,
      tokens: oursTokens,
      msPerToken: round((o * 1000) / oursTokens, 2),
    }
  }
  if (!lib) {
    for (let i = 0; i < options.reps; i++) {
      await runOurs()
      progress.update((i + 1) / options.reps, 'file: ours')
    }
    return {
      available: false,
      reason,
      audioSeconds,
      threads: options.threads,
      ours: oursSummary(),
      speedup: null,
      wordAgreement: null,
      notes: [`transformers.js comparison not available: ${reason}`],
    }
  }

  const {env, pipeline, AutoModelForSpeechSeq2Seq, AutoProcessor} = lib
  env.allowRemoteModels = false
  env.localModelPath = `${path.dirname(modelDir)}/`
  const name = path.basename(modelDir)
  const sessionOptions = {intraOpNumThreads: options.threads, interOpNumThreads: 1}
  const multilingual = model.special.multilingual
  const languageOptions = multilingual ? {language: 'en', task: 'transcribe'} : {}
  const dtype = transformersDtype(options.dtype ?? 'fp32')
  const settings = {dtype, session_options: sessionOptions, chunk_length_s: 30, stride_length_s: 5, return_timestamps: true}
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const asr = (await pipeline('automatic-speech-recognition', name, {dtype, session_options: sessionOptions} as any)) as any
  const theirWalls: number[] = []
  let theirText = ''
  let theirChunks = 0
  const runTheirs = async (): Promise<void> => {
    const start = now()
    const out = (await asr(audio, {return_timestamps: true, chunk_length_s: 30, stride_length_s: 5, ...languageOptions})) as {
      text: string
      chunks?: unknown[]
    }
    theirWalls.push(msSince(start) / 1000)
    theirText = out.text
    theirChunks = out.chunks?.length ?? 0
  }
  const total = options.reps * 2
  let done = 0
  for (let i = 0; i < options.reps; i++) {
    for (const which of i % 2 === 0 ? ['ours', 'theirs'] : ['theirs', 'ours']) {
      progress.update(done / total, `file: ${which} run ${i + 1}/${options.reps}`)
      if (which === 'ours') await runOurs()
      else await runTheirs()
      done++
    }
  }
  await asr.dispose?.()
  const o = median(oursWalls)
  const t = median(theirWalls)
  // Their output tokens, text tokens re-encoded with the model's tokenizer (the pipeline returns text only; timestamps not counted).
  const theirTokens = model.tokenizer.encode(theirText).length
  notes.push(
    'output tokens: ours counts the text tokens of its segments; theirs is its text re-encoded with the same tokenizer (an estimate). A random-weights model stops at different places in each implementation, so compare ms per output token as well as wall time',
  )
  notes.push(
    "ours: sequential 30 s windows seeking to the last timestamp (Whisper long-form); theirs: the pipeline's chunked algorithm (30 s chunks, 5 s stride), so the transcripts are not expected to be identical",
  )

  // First window: identical input and (nearly) identical rules, so tokens should match exactly.
  const processor = await AutoProcessor.from_pretrained(name)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const generator = (await AutoModelForSpeechSeq2Seq.from_pretrained(name, {dtype, session_options: sessionOptions} as any)) as any
  const window = audio.subarray(0, Math.min(audio.length, model.preprocessor.nSamples))
  const {input_features: features} = (await processor(window)) as {input_features: unknown}
  const firstTokens = 64
  const theirFirst = (
    (await generator.generate({inputs: features, max_new_tokens: firstTokens, return_timestamps: true, ...languageOptions})) as {
      tolist(): bigint[][]
    }
  )
    .tolist()[0]!
    .map(Number)
  const transcriber = new WindowTranscriber(model, {
    // transformers.js's generate(): greedy, with neither fallback nor no-speech gate.
    temperatures: [0],
    thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech: undefined},
    timestamps: true,
    loop: undefined,
    maxInitialTimestampIndex: null,
    monotonicTimestamps: false,
    language: multilingual ? 'en' : undefined,
  })
  const r = await transcriber.transcribe(window, window.length, [], {maxNewTokens: firstTokens})
  const ourFirst = [...transcriber.initTokens([]), ...r.tokens]
  let shared = 0
  while (shared < ourFirst.length && shared < theirFirst.length && ourFirst[shared] === theirFirst[shared]) shared++
  const comparable = Math.min(ourFirst.length, theirFirst.length)

  // Decoding per token: (T(N) − T(1)) / (N − 1) with end-of-text forbidden, so the encoder and the first call cancel out.
  const n = options.tokens
  const rules = new LogitsRules(model.special, {
    timestamps: false,
    suppressTokens: model.generation.suppressTokens,
    beginSuppressTokens: model.generation.beginSuppressTokens,
    maxInitialTimestampIndex: undefined,
    monotonicTimestamps: false,
  })
  const init = new WindowTranscriber(model, {timestamps: false, loop: undefined, language: multilingual ? 'en' : undefined}).initTokens([])
  const decoder = new CachedDecoder(model.decoderSessions, model.decoderShape)
  const featureInput = model.featuresInput((features as {data: Float32Array}).data)
  featureInput.update()
  const featureTensor = featureInput.tensor
  const oursGenerate = async (count: number): Promise<number> => {
    const start = now()
    const hidden = await model.encode(featureTensor)
    const generated: number[] = []
    let logits = await decoder.start(init, hidden)
    for (;;) {
      rules.apply(logits, generated)
      logits[model.special.endOfText] = -Infinity
      const token = argmax(logits)
      generated.push(token)
      if (generated.length >= count) break
      logits = await decoder.next(token)
    }
    return msSince(start)
  }
  const theirsGenerate = async (count: number): Promise<number> => {
    const start = now()
    await generator.generate({inputs: features, max_new_tokens: count, min_new_tokens: count, return_timestamps: false, ...languageOptions})
    return msSince(start)
  }
  await oursGenerate(2)
  await theirsGenerate(2)
  const perToken: {ours: number[]; theirs: number[]} = {ours: [], theirs: []}
  for (let i = 0; i < options.tokenReps; i++) {
    progress.update(0.95, `file: decoding ${n} tokens, run ${i + 1}/${options.tokenReps}`)
    const pairs: Array<['ours' | 'theirs', (count: number) => Promise<number>]> = [
      ['ours', oursGenerate],
      ['theirs', theirsGenerate],
    ]
    if (i % 2 === 1) pairs.reverse()
    for (const [key, fn] of pairs) {
      const one = await fn(1)
      const many = await fn(n)
      perToken[key].push((many - one) / (n - 1))
    }
  }
  await generator.dispose?.()
  const ot = median(perToken.ours)
  const tt = median(perToken.theirs)
  return {
    available: true,
    audioSeconds,
    threads: options.threads,
    ours: oursSummary(),
    theirs: {
      wallSeconds: theirWalls.map((w) => round(w, 2) ?? 0),
      rtf: round(t / audioSeconds, 4),
      words: countWords(theirText),
      chunks: theirChunks,
      tokens: theirTokens,
      msPerToken: round((t * 1000) / theirTokens, 2),
      settings,
    },
    speedup: round(t / o, 2),
    perTokenSpeedup: round((t * 1000) / theirTokens / ((o * 1000) / oursTokens), 2),
    wordAgreement: round(wordAgreement(oursText, theirText), 3),
    firstWindow: {
      identical: shared === comparable && comparable > 0,
      sharedPrefix: shared,
      oursTokens: ourFirst.length,
      theirsTokens: theirFirst.length,
    },
    decoding: {
      tokens: n,
      oursMsPerToken: round(ot, 3),
      theirsMsPerToken: round(tt, 3),
      speedup: round(tt / ot, 2),
      method: `(T(${n}) - T(1)) / ${n - 1}: one 30 s window, encoder included in both and cancelled out, end-of-text forbidden (min_new_tokens for transformers.js), Whisper's suppress rules on in both`,
    },
    notes,
  }
}

const words = (text: string): string[] =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean)
const countWords = (text: string): number => words(text).length

/** 2·LCS / (|a| + |b|) over words; 1 for two empty transcripts. */
export function wordAgreement(a: string, b: string): number {
  const x = words(a)
  const y = words(b)
  if (x.length + y.length === 0) return 1
  let previous = new Int32Array(y.length + 1)
  let current = new Int32Array(y.length + 1)
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      current[j] = x[i - 1] === y[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!)
    }
    ;[previous, current] = [current, previous]
  }
  return (2 * previous[y.length]!) / (x.length + y.length)
}

/** transformers.js's form of a dtype choice. */
function transformersDtype(choice: DtypeChoice): string | Record<string, string> {
  const {encoder, decoder} = partsOf(choice)
  return encoder === decoder ? encoder : {encoder_model: encoder, decoder_model_merged: decoder}
}
