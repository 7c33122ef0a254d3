// Prompt reset on the live path: the backend's word (a hot fallback or a cut loop) drops the prompt
// before the next step, and so does speech that committed nothing for promptResetAfterMs.
import {describe, expect, it} from 'vitest'
import type {StatsEvent} from '../../../src/engine/events.js'
import type {AsrBackend, Hypothesis, TimedWord} from '../../../src/engine/stream/asr-backend.js'
import {Streamer} from '../../../src/engine/stream/streamer.js'
import {audioOf, Locator, SAMPLE_RATE} from '../../helpers/scripted-backend.js'

const HALF = SAMPLE_RATE / 2

/** A word every half second; words before `stallFrom` are heard the same every time, later ones never twice alike. */
class StallingBackend implements AsrBackend {
  readonly sampleRate = SAMPLE_RATE
  readonly maxSamples = 30 * SAMPLE_RATE
  readonly prompts: number[][] = []
  readonly #locator = new Locator()

  constructor(
    private readonly stallFrom: number,
    private readonly resetOnCall?: number,
  ) {}

  async transcribe(audio: Float32Array, prompt: readonly number[]): Promise<Hypothesis> {
    const start = this.#locator.locate(audio, this.maxSamples)
    const call = this.prompts.length
    this.prompts.push([...prompt])
    const words: TimedWord[] = []
    for (let t = Math.ceil(start / HALF) * HALF; t + HALF <= start + audio.length; t += HALF) {
      const stable = t + HALF <= this.stallFrom
      words.push({
        text: stable ? ` w${t / HALF}` : ` x${call}`,
        start: t - start,
        end: t + HALF - start,
        tokens: [stable ? 1000 + t / HALF : 5000 + call],
      })
    }
    const hypothesis: Hypothesis = {words, segmentEnds: [], truncated: false}
    if (call === this.resetOnCall) hypothesis.decode = {temperature: 0.8, attempts: 5, noSpeech: false, resetPrompt: true}
    return hypothesis
  }
}

async function run(streamer: Streamer, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    streamer.push(audioOf(s * SAMPLE_RATE, (s + 1) * SAMPLE_RATE))
    await streamer.drain()
  }
  await streamer.flush()
}

describe('prompt reset on the live path', () => {
  it('after promptResetAfterMs of speech that committed nothing, the next step has no prompt', async () => {
    const backend = new StallingBackend(5 * SAMPLE_RATE)
    const streamer = new Streamer(backend, {stepMs: 1000, vad: false, promptResetAfterMs: 4000})
    const finalAfterCalls: number[] = []
    const stats: StatsEvent[] = []
    streamer.on('final', () => finalAfterCalls.push(backend.prompts.length))
    streamer.on('stats', (event) => stats.push(event))
    await run(streamer, 17)

    // The last commit of the stable words came out of call c - 1; calls c … c + 3 add 4 s that commit nothing.
    const c = lastStableCommit(finalAfterCalls, backend)
    expect(c).toBeGreaterThan(1)
    for (let call = c; call < c + 4; call++) expect(backend.prompts[call]!.length).toBeGreaterThan(0)
    expect(backend.prompts[c + 4]).toEqual([])
    expect(streamer.promptResets).toBe(1)
    expect(stats.at(-1)!.promptResets).toBe(1)
    expect(stats[c - 1]!.promptResets).toBe(0)
  })

  it('a hypothesis that asks for it drops the prompt before the next step, and commits refill it', async () => {
    const backend = new StallingBackend(30 * SAMPLE_RATE, 4)
    const streamer = new Streamer(backend, {stepMs: 1000, vad: false, promptResetAfterMs: 0})
    await run(streamer, 9)
    expect(backend.prompts[4]!.length).toBeGreaterThan(0)
    expect(backend.prompts[5]).toEqual([])
    expect(backend.prompts[7]!.length).toBeGreaterThan(0)
    expect(streamer.promptResets).toBe(1)
  })

  it('promptResetAfterMs 0 never resets for want of commits', async () => {
    const backend = new StallingBackend(5 * SAMPLE_RATE)
    const streamer = new Streamer(backend, {stepMs: 1000, vad: false, promptResetAfterMs: 0})
    await run(streamer, 17)
    expect(streamer.promptResets).toBe(0)
    expect(backend.prompts.at(-1)!.length).toBeGreaterThan(0)
  })
})

/** Calls made when the last final before the stall was emitted. */
function lastStableCommit(finalAfterCalls: number[], backend: StallingBackend): number {
  const duringStream = finalAfterCalls.filter((calls) => calls < backend.prompts.length)
  return duringStream.at(-1) ?? -1
}
