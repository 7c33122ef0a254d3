// Scenario "whispercpp": whisper.cpp (through @napi-rs/whisper, a prebuilt binding) against our
// engine on identical weights (the generator writes both files), same audio, same thread count, in
// one run: a 30 s window's log-mel + encoder, decoder ms per token, long-form RTF, a live step as
// whisper.cpp's `stream` example takes it (re-decode the last 10 s every 1 s step), greedy tokens.
//
// The binding returns text only and exposes no timings, so both sides are timed the same way from
// outside: whole calls that decode a fixed number of tokens (whisper.cpp's max_tokens; ours
// maxNewTokens), per-token cost from the difference between two lengths. Lengths stay <= 32 tokens:
// beyond that whisper.cpp's entropy check would fail a repetitive random-weight sequence and retry
// it by sampling with five decoders, which is not the work we compare.
import type {Whisper as WhisperCpp, WhisperFullParams} from '@napi-rs/whisper'
import {WindowTranscriber} from '../src/engine/decode/window-transcriber.js'
import {Engine} from '../src/engine/engine.js'
import type {WhisperModel} from '../src/engine/model/whisper-model.js'
import {loopTo, SAMPLE_RATE} from './audio.js'
import type {Progress} from './progress.js'
import {median, msSince, now, round} from './stats.js'

type Binding = typeof import('@napi-rs/whisper')

export interface WhisperCppOptions {
  /** whisper.cpp model files of the same weights, by label ("f16", "q8_0"). */
  ggml: Record<string, string>
  threads: number
  /** Long-form audio, seconds. */
  fileSeconds: number
  /** Live steps (1 s each) measured per implementation. */
  liveSteps: number
  /** Audio each live step re-decodes (whisper.cpp stream: --length 10000 + --keep 200). */
  liveWindowSeconds: number
  reps: number
  /** More of ours (e.g. a quantized decoder), measured for the window and per token only. */
  variants?: Array<{label: string; model: WhisperModel}>
}

export const defaultWhisperCppOptions: Omit<WhisperCppOptions, 'ggml' | 'threads' | 'variants'> = {
  fileSeconds: 30,
  liveSteps: 10,
  liveWindowSeconds: 10.2,
  reps: 15,
}

/** Token counts the per-token cost is taken between. */
const SHORT = 2
const LONG = 31

export interface WhisperCppRow {
  /** "ours (fp32)", "whisper.cpp f16", … */
  label: string
  /** Log-mel + encoder of one 30 s window (+ the prompt pass), ms: fastest T(2 tokens) − 2 × ms/token. */
  windowMs: number | null
  msPerToken: number | null
  /**
   * (fastest T(31) − fastest T(2)) / 29: noise on an idle machine only adds time, so the fastest calls
   * estimate each length's cost without it; whisper.cpp's ~1 s windows at 1 thread make the paired
   * median move by a millisecond a token between runs.
   */
  msPerTokenFastest: number | null
  /** Long-form file: wall / audio seconds. */
  fileRtf: number | null
  /** Median compute of one live step (last `liveWindowSeconds` re-decoded, ≤ 31 tokens). */
  liveStepMs: number | null
  /** The same with whisper.cpp's audio_ctx cut to the window (stream -ac), or ours without draft. */
  liveStepAltMs: number | null
  /** Greedy tokens (31 on a 30 s window) equal to ours, as text. */
  agreement: string
}

export interface WhisperCppResult {
  available: boolean
  reason?: string
  threads: number
  files: Record<string, string>
  rows: WhisperCppRow[]
  liveWindowSeconds: number
  liveAudioCtx: number
  fileSeconds: number
  notes: string[]
}

export async function loadWhisperCpp(): Promise<{lib?: Binding; reason?: string}> {
  try {
    const name = '@napi-rs/whisper'
    return {lib: (await import(name)) as Binding}
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {reason: `@napi-rs/whisper is not installed (${why}); npm i -D @napi-rs/whisper to compare`}
  }
}

interface Side {
  label: string
  /** Decodes `audio` greedily without timestamps, at most `tokens` tokens; returns the text. */
  window(audio: Float32Array, tokens: number, draft?: boolean): Promise<string>
  longForm(audio: Float32Array): Promise<void>
  /** ms of one live step. */
  liveStep(audio: Float32Array, alt: boolean): Promise<number>
}

function whisperCppSide(lib: Binding, label: string, file: string, threads: number, audioCtx: number): Side {
  const model: WhisperCpp = new lib.Whisper(file)
  const params = (tokens: number, timestamps: boolean): WhisperFullParams => {
    const p = new lib.WhisperFullParams(lib.WhisperSamplingStrategy.Greedy)
    p.nThreads = threads
    p.language = 'en'
    p.printProgress = false
    p.printRealtime = false
    p.noContext = !timestamps
    p.suppressNonSpeechTokens = true
    p.noTimestamps = !timestamps
    p.singleSegment = !timestamps
    if (tokens > 0) p.maxTokens = tokens - 1 // it samples max_tokens + 1
    return p
  }
  return {
    label,
    window: (audio, tokens) => Promise.resolve(model.full(params(tokens, false), audio)),
    longForm: (audio) => {
      model.full(params(0, true), audio)
      return Promise.resolve()
    },
    liveStep: (audio, alt) => {
      const p = params(LONG, false)
      if (alt) p.audioCtx = audioCtx
      const start = now()
      model.full(p, audio)
      return Promise.resolve(msSince(start))
    },
  }
}

function ourSide(model: WhisperModel, label = `ours (${model.name})`): Side & {agreeing(theirs: string): number} {
  // Greedy only (temperatures [0]): whisper.cpp's greedy pass is what is compared.
  const greedy = {timestamps: false, loop: undefined, language: 'en', temperatures: [0]}
  const window = new WindowTranscriber(model, greedy)
  const live = new WindowTranscriber(model, greedy)
  let previous: number[] = []
  let last: number[] = []
  const engine = Engine.from(model)
  return {
    label,
    window: async (audio, tokens) => {
      const r = await window.transcribe(audio, audio.length, [], {maxNewTokens: tokens})
      last = r.tokens
      return model.tokenizer.decode(r.tokens)
    },
    longForm: async (audio) => {
      const chunks = async function* (): AsyncGenerator<Float32Array> {
        for (let i = 0; i < audio.length; i += 3_200) yield audio.subarray(i, Math.min(audio.length, i + 3_200))
      }
      for await (const _ of engine.transcribeFile(chunks())) void _
    },
    /** How many of our last window's tokens whisper.cpp's text reproduces, from the start. */
    agreeing: (theirs) => {
      let k = 0
      while (k < last.length && theirs.startsWith(model.tokenizer.decode(last.slice(0, k + 1)))) k++
      return k
    },
    // alt: without the draft (each step decodes token by token, as whisper.cpp does).
    liveStep: async (audio, alt) => {
      const start = now()
      const r = await live.transcribe(audio, audio.length, [], {maxNewTokens: LONG, draft: alt ? undefined : previous})
      const ms = msSince(start)
      previous = r.tokens
      return ms
    },
  }
}

export async function runWhisperCpp(
  model: WhisperModel,
  clip: Float32Array,
  options: WhisperCppOptions,
  progress: Progress,
): Promise<WhisperCppResult> {
  const liveAudioCtx = Math.ceil(options.liveWindowSeconds * 50)
  const base = {
    threads: options.threads,
    files: options.ggml,
    liveWindowSeconds: options.liveWindowSeconds,
    liveAudioCtx,
    fileSeconds: options.fileSeconds,
  }
  const {lib, reason} = await loadWhisperCpp()
  if (!lib) return {available: false, reason, rows: [], notes: [], ...base}
  if (Object.keys(options.ggml).length === 0) {
    return {
      available: false,
      reason: 'no whisper.cpp model file of these weights (see README: make-model --ggml)',
      rows: [],
      notes: [],
      ...base,
    }
  }
  const threads = options.threads || 2
  const ours = ourSide(model)
  const sides: Side[] = [
    ours,
    ...Object.entries(options.ggml).map(([label, file]) => whisperCppSide(lib, `whisper.cpp ${label}`, file, threads, liveAudioCtx)),
  ]
  const variantSides = (options.variants ?? []).map((v) => ourSide(v.model, `ours, ${v.label}`))
  const windowSides = [...sides, ...variantSides]
  const notes: string[] = []
  const window30 = loopTo(clip, 30)
  const totalWork = sides.length * (options.liveSteps * 2 + 1) + windowSides.length * (options.reps * 2 + 1)
  let done = 0
  const tick = (what: string): void => progress.update(++done / totalWork, `whispercpp: ${what}`)

  // Window + per-token: interleaved by rep so load on the machine hits every side alike.
  const times = windowSides.map(() => ({short: [] as number[], long: [] as number[]}))
  const texts: string[] = windowSides.map(() => '')
  for (const s of windowSides) await s.window(window30, SHORT) // warm-up
  for (let rep = 0; rep < options.reps; rep++) {
    for (const [i, s] of windowSides.entries()) {
      for (const n of [SHORT, LONG]) {
        const start = now()
        const text = await s.window(window30, n)
        const ms = msSince(start)
        if (n === LONG) texts[i] = text
        times[i]![n === SHORT ? 'short' : 'long'].push(ms)
        tick(`${s.label}, ${n} tokens`)
      }
    }
  }

  // Long-form file: one run each.
  const long = loopTo(clip, options.fileSeconds)
  const fileWall: number[] = []
  for (const s of sides) {
    const start = now()
    await s.longForm(long)
    fileWall.push(msSince(start) / 1000)
    tick(`${s.label}, ${options.fileSeconds} s long-form`)
  }
  notes.push(
    'long-form: each side as a user runs it (timestamps on; ours cuts repetition loops, whisper.cpp retries low-confidence windows by sampling): the RTF compares the tools, not equal work',
  )

  // Live: the last liveWindowSeconds re-decoded at each 1 s step.
  const liveAudio = loopTo(clip, options.liveWindowSeconds + options.liveSteps)
  const live = sides.map(() => ({main: [] as number[], alt: [] as number[]}))
  for (const [i, s] of sides.entries()) {
    for (const alt of [false, true]) {
      for (let step = 0; step < options.liveSteps; step++) {
        const end = Math.round((options.liveWindowSeconds + step + 1) * SAMPLE_RATE)
        const audio = liveAudio.subarray(Math.max(0, end - Math.round(options.liveWindowSeconds * SAMPLE_RATE)), end)
        live[i]![alt ? 'alt' : 'main'].push(await s.liveStep(audio, alt))
        tick(`${s.label}, live step ${step + 1}`)
      }
    }
  }

  const rows = windowSides.map((s, i): WhisperCppRow => {
    const full = i < sides.length
    // Each rep runs 2 then 31 tokens back to back; the median of those paired differences is
    // steadier on a shared machine than a difference of two separate statistics.
    const t = times[i]!
    const perToken = median(t.long.map((long, r) => long - t.short[r]!)) / (LONG - SHORT)
    const short = Math.min(...t.short)
    return {
      label: s.label,
      windowMs: round(short - SHORT * perToken, 1),
      msPerToken: round(perToken, 2),
      msPerTokenFastest: round((Math.min(...t.long) - short) / (LONG - SHORT), 2),
      fileRtf: full ? round(fileWall[i]! / options.fileSeconds, 4) : null,
      liveStepMs: full ? round(median(live[i]!.main), 1) : null,
      liveStepAltMs: full ? round(median(live[i]!.alt), 1) : null,
      agreement:
        i === 0 ? 'reference' : texts[0] === texts[i] ? `all ${LONG} tokens` : `first ${ours.agreeing(texts[i]!)} of ${LONG} tokens`,
    }
  })
  return {available: true, rows, notes, ...base}
}
