/**
 * The contract between the streaming policy and whatever turns audio into words.
 * Times are integer sample offsets from the start of the audio handed to `transcribe`.
 */
export interface TimedWord {
  /** The word with its leading space as Whisper writes it (" hello"). */
  text: string
  start: number
  end: number
  /** Token ids that spell the word; they feed the prompt of later steps. */
  tokens: readonly number[]
  /** How sure the decoder was of the word (mean probability of its tokens), when the backend says. */
  probability?: number
}

export interface Hypothesis {
  words: TimedWord[]
  /** Ends of the timestamped segments Whisper closed, in samples: safe places to cut the window. */
  segmentEnds: number[]
  /** True when decoding was cut short (token cap or a repetition loop): the tail is not to be trusted. */
  truncated: boolean
  /** How the decoder got there, when it says (Whisper's fallback and no-speech gate). */
  decode?: DecodeReport
}

export interface DecodeReport {
  /** Temperature of the kept decode, and decodes run for it (1: no fallback). */
  temperature: number
  attempts: number
  /** The no-speech gate found silence: no words although the VAD may have heard some. */
  noSpeech: boolean
  /** The prompt led decoding astray (hot fallback, cut loop): drop it before the next step. */
  resetPrompt: boolean
}

export interface AsrBackend {
  readonly sampleRate: number
  /** The longest audio one call accepts: Whisper's 30 s input. */
  readonly maxSamples: number
  /**
   * `continues`: this audio starts where the previous call's did and the prompt is unchanged
   * (the window only grew), so the previous output is a good guess at this one.
   */
  transcribe(audio: Float32Array, prompt: readonly number[], signal?: AbortSignal, continues?: boolean): Promise<Hypothesis>
}
