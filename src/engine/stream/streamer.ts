// Over 300 lines on purpose: one state machine whose fields (the ring, the agreement, the VAD cursor,
// the step clock) move together in step(); the pieces with a job of their own live beside it
// (ring-buffer, local-agreement, prompt-tail, streamer-options).
import {rms} from '../audio/pcm.js'
import {WhisperStreamError} from '../errors.js'
import {samplesToSeconds, type FinalEvent, type PartialEvent, type StatsEvent, type VoiceEvent} from '../events.js'
import type {AsrBackend, Hypothesis, TimedWord} from './asr-backend.js'
import {LocalAgreement, trustedWords} from './local-agreement.js'
import {PromptTail} from './prompt-tail.js'
import {RingBuffer} from './ring-buffer.js'
import {resolveStreamerOptions, type StreamerOptions} from './streamer-options.js'
import type {VoiceActivity} from './vad.js'

/** What a Streamer emits; `error` carries a failure of the background work (also thrown by flush()). */
export interface StreamerEvents {
  partial: PartialEvent
  final: FinalEvent
  stats: StatsEvent
  voice: VoiceEvent
  error: WhisperStreamError
}
export type StreamerEventName = keyof StreamerEvents

type Step = 'step' | 'utterance' | 'commit' | 'end' | 'refill'

/**
 * The streaming policy for one stream (after ufal/whisper_streaming's OnlineASRProcessor).
 *
 * push() copies audio into a fixed ring buffer and returns at once. A single background
 * loop runs one inference at a time on the uncommitted window every `stepMs` of new audio;
 * audio that arrives during an inference is taken whole by the next step (coalescing).
 * Words agreed by two consecutive hypotheses become `final` events; the rest is the
 * `partial`. With a VoiceActivity, silence is never sent to the backend and a pause of
 * `vadSilenceMs` ends the utterance: everything is committed and the window reset.
 * All positions are absolute integer samples; seconds appear only in events.
 */
export class Streamer {
  readonly options: StreamerOptions
  readonly sampleRate: number
  private readonly ring: RingBuffer
  private readonly agreement: LocalAgreement
  private readonly prompt: PromptTail
  private readonly windowLimit: number
  private readonly stepSamples: number
  private readonly guardSamples: number
  private readonly trimAfterSamples: number
  private readonly silenceSamples: number
  private readonly padSamples: number
  private readonly promptResetSamples: number
  private readonly vad: VoiceActivity | undefined
  private readonly listeners: {[K in StreamerEventName]: Array<(event: StreamerEvents[K]) => void>} = {
    partial: [],
    final: [],
    stats: [],
    voice: [],
    error: [],
  }

  /** Audio pushed while the ring was full (only when the producer outruns inference by a whole window). */
  private readonly pending: Float32Array[] = []
  private pendingCount = 0
  private pushed = 0
  private level = 0
  private lastStepEnd = 0
  /** Where the last transcribed window started, and whether a commit changed the prompt since. */
  private lastWindowStart = -1
  private promptChanged = false
  private vadCursor = 0
  private lastSpeechEnd = 0
  private speaking = false
  private inUtterance: boolean
  private utteranceEnded = false
  private nextId = 0
  private lastPartial = ''
  private discarded = 0
  private steps = 0
  /** Audio transcribed since the last commit (or prompt reset), and prompt resets so far. */
  private uncommitted = 0
  private resets = 0
  private active = false
  private ending = false
  /** commitNow() calls not yet served by a commit step. */
  private commitRequests = 0
  private finished = false
  private failure: WhisperStreamError | undefined
  private idleWaiters: Array<() => void> = []

  constructor(
    private readonly backend: AsrBackend,
    options: Partial<StreamerOptions> = {},
    vad?: VoiceActivity,
  ) {
    this.options = resolveStreamerOptions(options)
    const ms = (value: number): number => Math.round((value * backend.sampleRate) / 1000)
    this.sampleRate = backend.sampleRate
    this.ring = new RingBuffer(backend.maxSamples)
    this.windowLimit = Math.min(backend.maxSamples, ms(this.options.maxWindowSeconds * 1000))
    this.stepSamples = Math.min(ms(this.options.stepMs), this.windowLimit)
    this.guardSamples = ms(this.options.forceCommitGuardMs)
    this.trimAfterSamples = ms(this.options.trimAfterMs)
    this.silenceSamples = ms(this.options.vadSilenceMs)
    this.padSamples = ms(this.options.vadPadMs)
    this.promptResetSamples = ms(this.options.promptResetAfterMs)
    this.agreement = new LocalAgreement({maxNgram: this.options.dedupeMaxNgram, slack: ms(this.options.dedupeSlackMs)})
    this.prompt = new PromptTail(this.options.maxPromptTokens)
    this.vad = this.options.vad ? vad : undefined
    this.inUtterance = this.vad === undefined
    this.options.signal?.addEventListener('abort', () => this.wake(), {once: true})
  }

  /** Subscribes to one event type; returns the unsubscribe function. Listeners run synchronously. */
  on<K extends StreamerEventName>(type: K, listener: (event: StreamerEvents[K]) => void): () => void {
    const list = this.listeners[type]
    list.push(listener)
    return () => {
      const i = list.indexOf(listener)
      if (i >= 0) list.splice(i, 1)
    }
  }

  /** Copies `pcm` (mono, backend.sampleRate) in and schedules work; never blocks. */
  push(pcm: Float32Array): void {
    if (this.ending) throw new WhisperStreamError('internal', 'push() after flush()', {hint: 'create a new Streamer per stream'})
    if (this.aborted || this.failure || pcm.length === 0) return
    this.pushed += pcm.length
    this.level = rms(pcm)
    const fit = this.pendingCount === 0 ? Math.min(pcm.length, this.ring.free) : 0
    if (fit > 0) this.ring.append(fit === pcm.length ? pcm : pcm.subarray(0, fit))
    if (fit < pcm.length) {
      this.pending.push(pcm.slice(fit))
      this.pendingCount += pcm.length - fit
    }
    this.kick()
  }

  /** End of stream: commits everything and emits the last finals. Rejects if aborted or failed. */
  async flush(): Promise<void> {
    this.ending = true
    this.kick()
    await this.drain()
    this.throwIfStopped()
  }

  /**
   * Commits everything pushed so far now (its last hypothesis becomes final, as at a pause), then goes on streaming
   * into a fresh window: ids and times continue. Resolves once those finals are out; rejects if aborted or failed.
   */
  async commitNow(): Promise<void> {
    if (!this.ending) {
      this.commitRequests++
      this.kick()
    }
    await this.drain()
    this.throwIfStopped()
  }

  /** The failure that stopped the background work, if any (push() then drops audio; flush() throws it). */
  get failed(): WhisperStreamError | undefined {
    return this.failure
  }

  /** Resolves when the background loop has caught up with the audio pushed so far. */
  drain(): Promise<void> {
    if (!this.active) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Samples waiting outside the ring (non-zero only when inference falls a whole window behind). */
  get backlogSamples(): number {
    return this.pendingCount
  }

  /** Samples of a full window dropped because no trustworthy word came out of it (truncated garbage). */
  get discardedSamples(): number {
    return this.discarded
  }

  /** Backend calls made so far. */
  get stepCount(): number {
    return this.steps
  }

  /** Times the prompt was dropped: the backend asked (hot fallback, cut loop), or speech committed nothing for long. */
  get promptResets(): number {
    return this.resets
  }

  /** @internal The ring buffer (read-only use: tests check its capacity and storage never change). */
  get buffer(): RingBuffer {
    return this.ring
  }

  private get aborted(): boolean {
    return this.options.signal?.aborted ?? false
  }

  private kick(): void {
    if (this.active) return
    this.active = true
    queueMicrotask(() => {
      this.pump().catch((error: unknown) => this.fail(error))
    })
  }

  private wake(): void {
    if (!this.active) for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  private async pump(): Promise<void> {
    try {
      while (!this.aborted && !this.failure && !this.finished) {
        this.refill()
        if (this.vad && !this.utteranceEnded) await this.runVad(this.vad)
        if (this.aborted) break
        const next = this.nextStep()
        if (next === undefined) break
        if (next !== 'refill') await this.step(next)
      }
    } catch (error) {
      if (!this.aborted) this.fail(error)
    } finally {
      this.active = false
      this.wake()
    }
  }

  private refill(): void {
    while (this.pending.length > 0 && this.ring.free > 0) {
      const head = this.pending[0]
      const fit = Math.min(head.length, this.ring.free)
      this.ring.append(fit === head.length ? head : head.subarray(0, fit))
      this.pendingCount -= fit
      if (fit === head.length) this.pending.shift()
      else this.pending[0] = head.subarray(fit)
    }
  }

  /** Runs the VAD over whole frames; returns early when an utterance ends. */
  private async runVad(vad: VoiceActivity): Promise<void> {
    const frame = vad.frameSamples
    if (this.vadCursor < this.ring.startSample) this.vadCursor = this.ring.startSample
    while (this.vadCursor + frame <= this.ring.endSample && !this.aborted) {
      const probability = await vad.process(this.ring.view(this.vadCursor, this.vadCursor + frame))
      const frameStart = this.vadCursor
      this.vadCursor += frame
      const speech = probability >= (this.speaking ? this.options.vadNegThreshold : this.options.vadThreshold)
      if (speech !== this.speaking) this.emit('voice', {type: 'voice', speaking: speech, at: this.seconds(frameStart)})
      this.speaking = speech
      if (speech) {
        this.lastSpeechEnd = this.vadCursor
        if (!this.inUtterance) {
          this.inUtterance = true
          const start = Math.max(this.ring.startSample, frameStart - this.padSamples)
          this.ring.trimTo(start)
          this.agreement.skipTo(start)
          this.lastStepEnd = start
        }
      } else if (this.inUtterance && this.vadCursor - this.lastSpeechEnd >= this.silenceSamples) {
        this.utteranceEnded = true
        return
      }
    }
    if (!this.inUtterance) this.ring.trimTo(this.vadCursor - this.padSamples)
  }

  private nextStep(): Step | undefined {
    // A closing step must see its whole window; if that is longer than the limit, step (and force) first.
    const overLimit = (end: number): boolean => this.inUtterance && end - this.ring.startSample > this.windowLimit
    if (this.utteranceEnded) return overLimit(this.vadCursor) ? 'step' : 'utterance'
    const arrived = this.pendingCount === 0 && (!this.vad || this.ring.endSample - this.vadCursor < this.vad.frameSamples)
    if (this.ending && arrived) return overLimit(this.ring.endSample) ? 'step' : 'end'
    if (this.commitRequests > 0 && arrived) return overLimit(this.ring.endSample) ? 'step' : 'commit'
    if (this.pendingCount > 0 && this.ring.free > 0) return 'refill'
    if (!this.inUtterance) return undefined
    const end = this.vad ? this.vadCursor : this.ring.endSample
    const heardSpeech = !this.vad || this.lastSpeechEnd > this.lastStepEnd
    if (end - this.lastStepEnd >= this.stepSamples && heardSpeech) return 'step'
    if (this.pendingCount > 0) return 'step' // ring full: a step will force a commit
    return undefined
  }

  private async step(kind: Exclude<Step, 'refill'>): Promise<void> {
    const served = kind === 'commit' ? this.commitRequests : 0
    const windowStart = this.ring.startSample
    const available = kind === 'step' && this.vad ? this.vadCursor : kind === 'utterance' ? this.vadCursor : this.ring.endSample
    const windowEnd = Math.min(available, windowStart + this.windowLimit)
    const mustTranscribe = kind === 'step' || (windowEnd > this.lastStepEnd && this.inUtterance)
    let hypothesis: Hypothesis | undefined
    if (mustTranscribe && windowEnd > windowStart) {
      const started = performance.now()
      const continues = windowStart === this.lastWindowStart && !this.promptChanged
      this.lastWindowStart = windowStart
      this.promptChanged = false
      hypothesis = await this.backend.transcribe(
        this.ring.view(windowStart, windowEnd),
        this.prompt.tokens(),
        this.options.signal,
        continues,
      )
      this.steps++
      if (this.aborted) return
      this.uncommitted += Math.max(0, windowEnd - this.lastStepEnd)
      this.emitStats(performance.now() - started, windowEnd - this.lastStepEnd, hypothesis)
    }
    this.lastStepEnd = windowEnd
    const words = hypothesis ? trustedWords(hypothesis).map((w) => shift(w, windowStart)) : []
    const committed = hypothesis ? this.agreement.insert(words) : []

    if (kind !== 'step') {
      // End of utterance or stream, or a commit asked for: the last hypothesis is final; the window starts afresh.
      committed.push(...this.agreement.flush())
      this.commit(committed)
      this.maybeResetPrompt(hypothesis)
      this.agreement.skipTo(windowEnd)
      this.ring.trimTo(windowEnd)
      this.vadCursor = Math.max(this.vadCursor, this.ring.startSample)
      if (kind === 'end') this.finished = true
      this.commitRequests -= served
      // After a commit the VAD finds the next utterance's start itself, as after a pause.
      if (kind === 'utterance' || (kind === 'commit' && this.vad)) {
        this.utteranceEnded = false
        this.inUtterance = false
        this.speaking = false
      }
      this.emitPartial()
      return
    }

    // Where the next window may start: the last closed segment that is fully committed,
    // or the last committed word once the window is long.
    let cut = this.ring.startSample
    if (committed.length > 0 && hypothesis) {
      for (const end of hypothesis.segmentEnds) {
        const at = end + windowStart
        if (at <= this.agreement.committedEnd && at > cut) cut = at
      }
      if (cut === this.ring.startSample && windowEnd - cut > this.trimAfterSamples) cut = Math.max(cut, this.agreement.committedEnd)
    }
    // Would the next step's window overflow? Then force a commit now.
    const nextChunk = Math.max(this.stepSamples, this.ring.endSample + this.pendingCount - windowEnd)
    if (windowEnd - cut + nextChunk > this.windowLimit) {
      const limit = windowEnd - this.guardFor(windowStart, windowEnd)
      committed.push(...this.agreement.forceCommit(limit))
      cut = Math.max(cut, this.agreement.committedEnd)
      if (windowEnd - cut + nextChunk > this.windowLimit && limit > cut) {
        // Nothing trustworthy came out of this audio: drop it, counted, rather than stall.
        this.discarded += limit - cut
        this.agreement.skipTo(limit)
        cut = limit
      }
    }
    this.commit(committed)
    this.maybeResetPrompt(hypothesis)
    this.ring.trimTo(cut)
    this.emitPartial()
  }

  /**
   * Later steps decode without the committed text as context, until new commits refill it: when the
   * backend says the prompt led it astray, or when `promptResetAfterMs` of speech committed nothing.
   */
  private maybeResetPrompt(hypothesis: Hypothesis | undefined): void {
    const stale = this.promptResetSamples > 0 && this.uncommitted >= this.promptResetSamples
    if (!hypothesis?.decode?.resetPrompt && !stale) return
    this.uncommitted = 0
    if (this.prompt.size === 0) return
    this.prompt.clear()
    this.promptChanged = true
    this.resets++
  }

  private guardFor(windowStart: number, windowEnd: number): number {
    return Math.min(this.guardSamples, Math.floor((windowEnd - windowStart) / 2))
  }

  private commit(words: readonly TimedWord[]): void {
    if (words.length === 0) return
    const tokens: number[] = []
    this.promptChanged = true
    this.uncommitted = 0
    for (const w of words) {
      this.prompt.add(w.tokens)
      if (this.options.emitTokens) tokens.push(...w.tokens)
    }
    const event: FinalEvent = {
      type: 'final',
      id: this.nextId++,
      text: joinWords(words),
      start: this.seconds(words[0].start),
      end: this.seconds(words[words.length - 1].end),
    }
    if (this.options.emitTokens) event.tokens = tokens
    if (this.options.emitWords) {
      event.words = words.map((w) => ({
        text: w.text,
        start: this.seconds(w.start),
        end: this.seconds(w.end),
        probability: w.probability ?? 0,
      }))
    }
    this.emit('final', event)
  }

  /** The tentative tail, when it changed; an empty text clears the previous partial. */
  private emitPartial(): void {
    if (this.options.noPartials) return
    const tail = this.agreement.tentative
    const text = joinWords(tail)
    const start = tail.length > 0 ? tail[0].start : this.agreement.committedEnd
    const end = tail.length > 0 ? tail[tail.length - 1].end : start
    const key = `${text}\u0000${start}\u0000${end}`
    if (key === this.lastPartial || (text === '' && this.lastPartial === '')) return
    this.lastPartial = text === '' ? '' : key
    this.emit('partial', {type: 'partial', text, start: this.seconds(start), end: this.seconds(end)})
  }

  private emitStats(stepMs: number, advanced: number, hypothesis: Hypothesis): void {
    if (!this.options.stats) return
    const audioMs = (Math.max(advanced, 1) * 1000) / this.sampleRate
    const event: StatsEvent = {
      type: 'stats',
      audio: this.seconds(this.pushed),
      stepMs,
      rtf: stepMs / audioMs,
      speaking: this.vad ? this.speaking : true,
      level: this.level,
      promptResets: this.resets,
    }
    if (hypothesis.decode) {
      event.temperature = hypothesis.decode.temperature
      event.attempts = hypothesis.decode.attempts
    }
    this.emit('stats', event)
  }

  private emit<K extends StreamerEventName>(type: K, event: StreamerEvents[K]): void {
    for (const listener of this.listeners[type]) listener(event)
  }

  private seconds(samples: number): number {
    return samplesToSeconds(samples, this.sampleRate)
  }

  private fail(error: unknown): void {
    this.failure =
      error instanceof WhisperStreamError
        ? error
        : new WhisperStreamError('internal', `transcription failed: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          })
    this.emit('error', this.failure)
  }

  private throwIfStopped(): void {
    if (this.failure) throw this.failure
    if (this.aborted) throw new WhisperStreamError('aborted', 'transcription cancelled', {cause: this.options.signal?.reason})
  }
}

const shift = (w: TimedWord, offset: number): TimedWord => ({...w, start: w.start + offset, end: w.end + offset})

const joinWords = (words: readonly TimedWord[]): string =>
  words
    .map((w) => w.text)
    .join('')
    .trim()
