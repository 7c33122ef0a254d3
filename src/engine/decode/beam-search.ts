import type {Tensor} from '../runtime/onnx.js'
import {WhisperStreamError} from '../errors.js'
import type {DecoderRunner, DecoderState} from './decoder-runner.js'
import type {GreedyResult, StopReason} from './greedy.js'
import type {LogitsRules} from './logits-rules.js'
import {loopStart, type LoopRule} from './repetition.js'
import {logSumExp} from './sampling.js'

export interface BeamOptions {
  initTokens: readonly number[]
  maxNewTokens: number
  endOfText: number
  rules: LogitsRules
  /** A beam that starts looping ends there, as greedy decoding does (its repeats cut off). */
  loop: LoopRule | undefined
  beamSize: number
  /** openai-whisper's patience: search until round(beamSize × patience) sequences finished (default 1). */
  patience: number
  /** undefined ranks by log-probability over length; a number α by Google NMT's ((5 + length) / 6)^α. */
  lengthPenalty: number | undefined
  keepStartRow?: number | undefined
  signal?: AbortSignal | undefined
}

interface Beam {
  tokens: number[]
  logprobs: number[]
  sumLogprob: number
  state: DecoderState
  /** The beamSize + 1 likeliest next tokens after Whisper's rules, with their log-probabilities. */
  next: Array<{token: number; logprob: number}>
}

interface Finished {
  tokens: number[]
  decoded: number[]
  logprobs: number[]
  sumLogprob: number
  stop: StopReason
}

/**
 * openai-whisper's beam search on the KV cache. Every beam feeds one token per call, batch 1, and
 * the encoder output and cross-attention K/V are shared by all; a beam's self-attention cache is a
 * snapshot of its parent's (tensor references, not copies), so reordering beams recomputes nothing.
 * Ranking of finished sequences follows openai-whisper's MaximumLikelihoodRanker.
 */
export async function beamDecode(decoder: DecoderRunner, encoderHidden: Tensor, options: BeamOptions): Promise<GreedyResult> {
  const {beamSize, endOfText} = options
  if (!Number.isInteger(beamSize) || beamSize < 1) throw new RangeError(`beam size must be a positive integer, got ${beamSize}`)
  const maxCandidates = Math.max(1, Math.round(beamSize * options.patience))
  const logits = await decoder.start(options.initTokens, encoderHidden)
  const startRow = options.keepStartRow === undefined ? undefined : decoder.startRow(options.keepStartRow)
  let beams: Beam[] = [{tokens: [], logprobs: [], sumLogprob: 0, state: decoder.snapshot(), next: topTokens(logits, [], options)}]
  const finished: Finished[] = []

  while (beams.length > 0) {
    if (options.signal?.aborted) throw new WhisperStreamError('aborted', 'decoding was cancelled', {cause: options.signal.reason})
    const candidates: Array<{parent: Beam; token: number; logprob: number; score: number}> = []
    for (const parent of beams)
      for (const {token, logprob} of parent.next) candidates.push({parent, token, logprob, score: parent.sumLogprob + logprob})
    // Ties are broken by the order of creation (beam, then token rank), so the search is deterministic.
    candidates.sort((a, b) => b.score - a.score)
    const chosen: typeof candidates = []
    for (const candidate of candidates) {
      if (candidate.token === endOfText) {
        if (finished.length < maxCandidates)
          finished.push({
            tokens: candidate.parent.tokens,
            decoded: candidate.parent.tokens,
            logprobs: candidate.parent.logprobs,
            sumLogprob: candidate.score,
            stop: 'end-of-text',
          })
      } else {
        chosen.push(candidate)
        if (chosen.length === beamSize) break
      }
    }
    if (finished.length >= maxCandidates) break
    const survivors: Beam[] = []
    for (const {parent, token, logprob, score} of chosen) {
      const tokens = [...parent.tokens, token]
      const logprobs = [...parent.logprobs, logprob]
      if (options.loop) {
        const cut = loopStart(tokens, options.loop)
        if (cut >= 0) {
          if (finished.length < maxCandidates)
            finished.push({tokens: tokens.slice(0, cut), decoded: tokens, logprobs, sumLogprob: score, stop: 'loop'})
          continue
        }
      }
      if (tokens.length >= options.maxNewTokens) {
        if (finished.length < maxCandidates) finished.push({tokens, decoded: tokens, logprobs, sumLogprob: score, stop: 'max-tokens'})
        continue
      }
      decoder.restore(parent.state)
      const row = await decoder.next(token)
      // The row lives in a buffer the next call reuses: take what the search needs from it now.
      survivors.push({tokens, logprobs, sumLogprob: score, state: decoder.snapshot(), next: topTokens(row, tokens, options)})
    }
    if (finished.length >= maxCandidates) break
    beams = survivors
  }
  // Out of room before enough sequences finished: the live beams count as finished, as in openai-whisper.
  if (finished.length === 0) throw new Error('beam search ended with no sequence')
  const best = finished.reduce((a, b) => (score(b, options.lengthPenalty) > score(a, options.lengthPenalty) ? b : a))
  const result: GreedyResult = {
    tokens: best.tokens,
    decoded: best.decoded,
    stop: best.stop,
    sumLogprob: best.sumLogprob,
    tokenLogprobs: best.logprobs,
  }
  if (startRow) result.startRow = startRow
  return result
}

/** MaximumLikelihoodRanker: log-probability over the length penalty. */
function score(sequence: Finished, lengthPenalty: number | undefined): number {
  const length = sequence.decoded.length
  const penalty = lengthPenalty === undefined ? length : ((5 + length) / 6) ** lengthPenalty
  return penalty === 0 ? sequence.sumLogprob : sequence.sumLogprob / penalty
}

/** Applies Whisper's rules to `logits` (in place) and returns the beamSize + 1 likeliest tokens. */
function topTokens(logits: Float32Array, generated: readonly number[], options: BeamOptions): Beam['next'] {
  options.rules.apply(logits, generated)
  const k = options.beamSize + 1
  const best: number[] = []
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i]!
    if (value === -Infinity) continue
    if (best.length === k && value <= logits[best[k - 1]!]!) continue
    let at = best.length < k ? best.length : k - 1
    if (best.length < k) best.push(i)
    while (at > 0 && logits[best[at - 1]!]! < value) {
      best[at] = best[at - 1]!
      at--
    }
    best[at] = i
  }
  const norm = logSumExp(logits)
  return best.map((token) => ({token, logprob: logits[token]! - norm}))
}
