import type {Tensor} from '../runtime/onnx.js'
import {WhisperStreamError} from '../errors.js'
import type {DecoderRunner} from './decoder-runner.js'
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
  signal?: AbortSignal | undefined
}

export type StopReason = 'end-of-text' | 'max-tokens' | 'loop'

export interface GreedyResult {
  /** Tokens after the start sequence, without end-of-text, and with a looping tail removed. */
  tokens: number[]
  stop: StopReason
}

/** Temperature-0 decoding: the arg-max token after Whisper's logit rules, one token a call. */
export async function greedyDecode(
  decoder: DecoderRunner,
  encoderHidden: Tensor,
  options: GreedyOptions,
): Promise<GreedyResult> {
  const generated: number[] = []
  let logits = await decoder.start(options.initTokens, encoderHidden)
  for (;;) {
    if (options.signal?.aborted) throw new WhisperStreamError('aborted', 'decoding was cancelled', {cause: options.signal.reason})
    options.rules.apply(logits, generated)
    const token = argmax(logits)
    if (token === options.endOfText) return {tokens: generated, stop: 'end-of-text'}
    generated.push(token)
    if (options.loop) {
      const cut = loopStart(generated, options.loop)
      if (cut >= 0) {
        generated.length = cut
        return {tokens: generated, stop: 'loop'}
      }
    }
    if (generated.length >= options.maxNewTokens) return {tokens: generated, stop: 'max-tokens'}
    logits = await decoder.next(token)
  }
}
