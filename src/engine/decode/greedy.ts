import type {Tensor} from '../runtime/onnx.js'
import {WhisperStreamError} from '../errors.js'
import type {DecoderRunner, DraftRows} from './decoder-runner.js'
import {argmax, type LogitsRules} from './logits-rules.js'
import {loopStart, type LoopRule} from './repetition.js'
import {logSumExp, sampleToken, type Random} from './sampling.js'

export interface GreedyOptions {
  /** Start sequence: [<|startofprev|>, prompt…, <|startoftranscript|>, language, task, (<|notimestamps|>)]. */
  initTokens: readonly number[]
  maxNewTokens: number
  endOfText: number
  rules: LogitsRules
  /** Cut a repetition loop short; undefined decodes to the token cap whatever comes out. */
  loop: LoopRule | undefined
  /**
   * A guess at the output (a streaming step's previous hypothesis), checked in the first call:
   * tokens that match cost no decoder call of their own. The result is the same with or without.
   */
  draft?: readonly number[] | undefined
  /** 0 (default) takes the arg-max; above 0 samples from softmax(logits / temperature) with `random`. */
  temperature?: number | undefined
  random?: Random | undefined
  /** A position of the start sequence whose raw logits the result carries (copied before any rule runs). */
  keepStartRow?: number | undefined
  signal?: AbortSignal | undefined
}

export type StopReason = 'end-of-text' | 'max-tokens' | 'loop'

export interface GreedyResult {
  /** Tokens after the start sequence, without end-of-text, and with a looping tail removed. */
  tokens: number[]
  /** Every token chosen, a looping tail included: the best draft for the same audio, grown. */
  decoded: readonly number[]
  stop: StopReason
  /**
   * Σ log p of every token chosen (`decoded`, and end-of-text when reached), each from the
   * softmax of the logits after Whisper's rules and before any temperature, as openai-whisper sums them.
   */
  sumLogprob: number
  /** log p of each token of `decoded`, as summed in `sumLogprob` (word probabilities). */
  tokenLogprobs: readonly number[]
  /** The raw logits at `keepStartRow`, when asked for. */
  startRow?: Float32Array
}

/** Whisper's average log-probability: the sum over the tokens decoded plus one (end-of-text's place). */
export const averageLogprob = (result: Pick<GreedyResult, 'decoded' | 'sumLogprob'>): number =>
  result.sumLogprob / (result.decoded.length + 1)

/**
 * One sequence, one token a call, after Whisper's logit rules: the arg-max at temperature 0
 * (greedy), else a token sampled at that temperature.
 */
export async function greedyDecode(decoder: DecoderRunner, encoderHidden: Tensor, options: GreedyOptions): Promise<GreedyResult> {
  const generated: number[] = []
  const temperature = options.temperature ?? 0
  const random = options.random
  if (temperature > 0 && !random) throw new TypeError('sampling at a temperature above 0 needs a random source')
  // A draft guesses the arg-max path; a sampled decode would rarely follow it.
  const draft = temperature > 0 ? [] : (options.draft?.slice(0, Math.max(0, options.maxNewTokens - 1)) ?? [])
  let sumLogprob = 0
  const tokenLogprobs: number[] = []
  // While `drafted` is set, row i of it holds the logits after draft[0, i), already in the cache.
  let drafted: DraftRows | undefined
  let logits: Float32Array
  if (draft.length > 0) {
    drafted = await decoder.startWithDraft(options.initTokens, draft, encoderHidden)
    logits = drafted.row(0)
  } else {
    logits = await decoder.start(options.initTokens, encoderHidden)
  }
  // The rules below edit the last row in place, and the last row may be the one asked for.
  const startRow = options.keepStartRow === undefined ? undefined : decoder.startRow(options.keepStartRow)
  const done = (tokens: number[], stop: StopReason): GreedyResult =>
    startRow
      ? {tokens, decoded: generated, stop, sumLogprob, tokenLogprobs, startRow}
      : {tokens, decoded: generated, stop, sumLogprob, tokenLogprobs}
  for (;;) {
    if (options.signal?.aborted) throw new WhisperStreamError('aborted', 'decoding was cancelled', {cause: options.signal.reason})
    options.rules.apply(logits, generated)
    const token = temperature > 0 ? sampleToken(logits, temperature, random!) : argmax(logits)
    // At temperature 0 the token is the arg-max, so its logit is the row's maximum.
    const logprob = logits[token]! - logSumExp(logits, temperature > 0 ? undefined : logits[token]!)
    sumLogprob += logprob
    if (token === options.endOfText) return done(generated, 'end-of-text')
    generated.push(token)
    tokenLogprobs.push(logprob)
    if (options.loop) {
      const cut = loopStart(generated, options.loop)
      if (cut >= 0) return done(generated.slice(0, cut), 'loop')
    }
    if (generated.length >= options.maxNewTokens) return done(generated, 'max-tokens')
    const position = generated.length
    if (drafted && position < drafted.count && token === draft[position - 1]) {
      logits = drafted.row(position)
      continue
    }
    if (drafted) {
      decoder.rewind(Math.min(position - 1, draft.length))
      drafted = undefined
    }
    logits = await decoder.next(token)
  }
}
