// A model-free AsrBackend and VoiceActivity for the streaming policy tests.
// Audio is synthetic: sample i of the stream holds (i mod 2^22) / 2^22, so a backend or VAD
// handed any window can tell where it lies in the stream (and check the ring kept it intact).
import type {AsrBackend, Hypothesis, TimedWord} from '../../src/engine/stream/asr-backend.js'
import type {VoiceActivity} from '../../src/engine/stream/vad.js'
import {mulberry32} from '../../models/generator/weights.js'

export const SAMPLE_RATE = 16_000
const PERIOD = 2 ** 22

export interface ScriptWord {
  text: string
  start: number
  end: number
  tokens: number[]
}

export interface Script {
  words: ScriptWord[]
  /** Absolute ends of sentences (Whisper segments). */
  segmentEnds: number[]
  /** Utterances: [start, end) in samples, separated by pauses. */
  speech: Array<[number, number]>
  length: number
}

/** The generator's seeded PRNG (mulberry32), so every seeded thing in the project draws the same way. */
export const rng = mulberry32

const VOCAB = [
  'the',
  'a',
  'stream',
  'whisper',
  'Hello,',
  'world.',
  'model',
  'is',
  'fast',
  'token',
  'window',
  'slides',
  'over',
  'audio',
  'and',
  'it',
  'commits',
  'words',
  'once',
  "don't",
  'again',
  'yes',
  'no',
  'ten',
  'eleven',
]

/** A random stream: utterances of sentences, pauses between utterances of pauseMs. */
export function makeScript(seed: number, seconds: number, options: {pauseMs?: [number, number]; leadMs?: number} = {}): Script {
  const random = rng(seed)
  const [pauseMin, pauseMax] = options.pauseMs ?? [1000, 4000]
  const ms = (x: number): number => Math.round((x * SAMPLE_RATE) / 1000)
  const words: ScriptWord[] = []
  const segmentEnds: number[] = []
  const speech: Array<[number, number]> = []
  const total = ms(seconds * 1000)
  let t = ms(options.leadMs ?? 700)
  const last = total - ms(1000)
  while (t < total - ms(8000)) {
    const utteranceStart = t
    const sentences = 1 + Math.floor(random() * 4)
    for (let s = 0; s < sentences && t < last - ms(600); s++) {
      const n = 2 + Math.floor(random() * 12)
      for (let k = 0; k < n; k++) {
        const duration = ms(150 + random() * 450)
        if (t + duration > last) break
        // No n-gram said twice back to back: one said again across a commit within dedupeSlackMs is kept
        // once, by design (local-agreement.test.ts), and 25 words drawn freely repeat far more often than speech.
        let text = ' ' + VOCAB[Math.floor(random() * VOCAB.length)]
        while (repeatsNgram(words, text)) text = ' ' + VOCAB[Math.floor(random() * VOCAB.length)]
        words.push({text, start: t, end: t + duration, tokens: [1000 + words.length]})
        t += duration + ms(random() * 150)
      }
      segmentEnds.push(words[words.length - 1].end)
    }
    speech.push([utteranceStart, words[words.length - 1].end])
    t = words[words.length - 1].end + ms(pauseMin + random() * (pauseMax - pauseMin))
  }
  return {words, segmentEnds, speech, length: total}
}

/** Whether `next` after `words` ends an n-gram (n <= 5) repeated back to back. */
function repeatsNgram(words: readonly ScriptWord[], next: string): boolean {
  const texts = [...words.slice(-9).map((w) => w.text), next]
  for (let n = 1; n <= 5 && 2 * n <= texts.length; n++) {
    const tail = texts.slice(-n)
    const before = texts.slice(-2 * n, -n)
    if (tail.every((t, i) => t === before[i])) return true
  }
  return false
}

/** The synthetic audio of [from, to). */
export function audioOf(from: number, to: number): Float32Array {
  const out = new Float32Array(to - from)
  for (let i = 0; i < out.length; i++) out[i] = ((from + i) % PERIOD) / PERIOD
  return out
}

/** Recovers absolute positions from synthetic audio; positions never go back more than `slack`. */
export class Locator {
  private last = 0
  locate(audio: Float32Array, slack = 0): number {
    const mod = Math.round(audio[0] * PERIOD)
    const base = Math.max(0, this.last - slack)
    const at = base + ((((mod - base) % PERIOD) + PERIOD) % PERIOD)
    for (const k of [0, audio.length >> 1, audio.length - 1]) {
      if (Math.round(audio[k] * PERIOD) !== (at + k) % PERIOD) throw new Error(`window audio corrupted at ${at}+${k}`)
    }
    this.last = at
    return at
  }
}

export interface Faults {
  /** Probability that the last 1-2 returned words are misheard. */
  perturb?: number
  /** Probability that the last 1-2 words are missing. */
  drop?: number
  /** Probability of a repetition loop: words cut at a random point, a word repeated, truncated: true. */
  loop?: number
  /** Probability of a token-cap cut: words cut short (last word clipped), truncated: true. */
  cap?: number
  /** Probability that the first word is misheard: consecutive hypotheses never agree, the window fills. */
  stall?: number
  /**
   * Faults strike windows that end mid-speech (a word overlaps the last 300 ms), where Whisper
   * is unstable; with faultsAtRest they also strike windows ending in silence (closing steps).
   */
  faultsAtRest?: boolean
  /** Milliseconds each call takes (real time). */
  delayMs?: number
  seed?: number
}

export interface Call {
  start: number
  end: number
  prompt: number[]
  words: TimedWord[]
  truncated: boolean
  /** What the streamer said: the window only grew since the previous call and the prompt is the same. */
  continues: boolean
}

export class ScriptedBackend implements AsrBackend {
  readonly sampleRate = SAMPLE_RATE
  readonly maxSamples = 30 * SAMPLE_RATE
  readonly calls: Call[] = []
  inFlight = 0
  maxInFlight = 0
  private readonly random: () => number
  private readonly locator = new Locator()

  /** `locate` overrides the synthetic-audio locator (e.g. for real speech). */
  constructor(
    private readonly script: Pick<Script, 'words' | 'segmentEnds'>,
    private readonly faults: Faults = {},
    private readonly locate?: (audio: Float32Array) => number,
  ) {
    this.random = rng(faults.seed ?? 1)
  }

  async transcribe(audio: Float32Array, prompt: readonly number[], signal?: AbortSignal, continues = false): Promise<Hypothesis> {
    if (audio.length > this.maxSamples) throw new Error(`window too long: ${audio.length}`)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      const start = this.locate ? this.locate(audio) : this.locator.locate(audio, this.maxSamples)
      const end = start + audio.length
      if (this.faults.delayMs) await sleep(this.faults.delayMs, signal)
      signal?.throwIfAborted()
      const hypothesis = this.hypothesis(start, end)
      this.calls.push({start, end, prompt: [...prompt], words: hypothesis.words, truncated: hypothesis.truncated, continues})
      return hypothesis
    } finally {
      this.inFlight--
    }
  }

  private hypothesis(start: number, end: number): Hypothesis {
    const inside = this.script.words.filter((w) => w.start >= start && w.end <= end)
    let words: TimedWord[] = inside.map((w) => ({text: w.text, start: w.start - start, end: w.end - start, tokens: w.tokens}))
    const segmentEnds = this.script.segmentEnds.filter((e) => e > start && e <= end).map((e) => e - start)
    const r = this.random
    const {perturb = 0, drop = 0, loop = 0, cap = 0, stall = 0} = this.faults
    const rest = Math.round(0.3 * SAMPLE_RATE)
    const atRest = !this.script.words.some((w) => w.start < end && w.end > end - rest)
    if (atRest && !this.faults.faultsAtRest) return {words, segmentEnds, truncated: false}
    if (words.length > 0 && r() < stall) words[0] = {...words[0], text: ` x${words[0].text.trim()}${this.calls.length}`}
    const tail = 1 + Math.floor(r() * 2)
    if (r() < perturb) {
      words = words.map((w, i) => (i >= words.length - tail ? {...w, text: ` x${w.text.trim()}${this.calls.length}`} : w))
    } else if (r() < drop) {
      words = words.slice(0, Math.max(0, words.length - tail))
    }
    if (words.length > 2 && r() < loop) {
      const k = 1 + Math.floor(r() * (words.length - 1))
      const from = words[k - 1].end
      const repeated = 3 + Math.floor(r() * 6)
      const step = Math.max(1, Math.floor((end - start - from) / repeated))
      const garbage = Array.from({length: repeated}, (_, i) => ({
        text: ' la',
        start: from + i * step,
        end: from + (i + 1) * step,
        tokens: [7],
      }))
      return {words: [...words.slice(0, k), ...garbage], segmentEnds: segmentEnds.filter((e) => e <= from), truncated: true}
    }
    if (words.length > 1 && r() < cap) {
      const k = 1 + Math.floor(r() * (words.length - 1))
      const clipped = {...words[k - 1], text: words[k - 1].text.slice(0, 2) + 'q'}
      return {words: [...words.slice(0, k - 1), clipped], segmentEnds: segmentEnds.filter((e) => e <= clipped.start), truncated: true}
    }
    return {words, segmentEnds, truncated: false}
  }
}

/** Speech probability from the script: 0.9 for frames overlapping an utterance, else 0.05. */
export class ScriptedVad implements VoiceActivity {
  readonly frameSamples = 512
  frames = 0
  private readonly locator = new Locator()
  constructor(private readonly speech: Array<[number, number]>) {}

  async process(frame: Float32Array): Promise<number> {
    const at = this.locator.locate(frame)
    this.frames++
    const end = at + frame.length
    return this.speech.some(([s, e]) => s < end && e > at) ? 0.9 : 0.05
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason as Error)
      },
      {once: true},
    )
  })
}

/** Normalized ground truth text: the words joined as the finals join them. */
export const textOf = (words: ReadonlyArray<{text: string}>): string =>
  words
    .map((w) => w.text)
    .join('')
    .trim()
