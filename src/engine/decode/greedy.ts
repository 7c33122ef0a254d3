import type {Tensor} from '../runtime/onnx.js'
import {WhisperStreamError} from '../errors.js'
import type {DecoderRunner, DraftRows} from './decoder-runner.js'
import {argmax, type LogitsRules} from './logits-rules.js'
import {loopStart, type LoopRule} from './repetition.js'

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
  signal?: AbortSignal | undefined
}

export type StopReason = 'end-of-text' | 'max-tokens' | 'loop'

export interface GreedyResult {
  /** Tokens after the start sequence, without end-of-text, and with a looping tail removed. */
  tokens: number[]
  /** Every token chosen, a looping tail included: the best draft for the same audio, grown. */
  decoded: readonly number[]
  stop: StopReason
}

/** Temperature-0 decoding: the arg-max token after Whisper's logit rules, one token a call. */
export async function greedyDecode(decoder: DecoderRunner, encoderHidden: Tensor, options: GreedyOptions): Promise<GreedyResult> {
  const generated: number[] = []
  const draft = options.draft?.slice(0, Math.max(0, options.maxNewTokens - 1)) ?? []
  // While `drafted` is set, row i of it holds the logits after draft[0, i), already in the cache.
  let drafted: DraftRows | undefined
  let logits: Float32Array
  if (draft.length > 0) {
    drafted = await decoder.startWithDraft(options.initTokens, draft, encoderHidden)
    logits = drafted.row(0)
  } else {
    logits = await decoder.start(options.initTokens, encoderHidden)
  }
  for (;;) {
    if (options.signal?.aborted) throw new WhisperStreamError('aborted', 'decoding was cancelled', {cause: options.signal.reason})
    options.rules.apply(logits, generated)
    const token = argmax(logits)
    if (token === options.endOfText) return {tokens: generated, decoded: generated, stop: 'end-of-text'}
    generated.push(token)
    if (options.loop) {
      const cut = loopStart(generated, options.loop)
      if (cut >= 0) return {tokens: generated.slice(0, cut), decoded: generated, stop: 'loop'}
    }
    if (generated.length >= options.maxNewTokens) return {tokens: generated, decoded: generated, stop: 'max-tokens'}
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
