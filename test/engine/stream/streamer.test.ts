import {describe, expect, it} from 'vitest'
import type {FinalEvent, PartialEvent, StatsEvent} from '../../../src/engine/events.js'
import {Streamer} from '../../../src/engine/stream/streamer.js'
import type {StreamerOptions} from '../../../src/engine/stream/streamer-options.js'
import {
  audioOf,
  makeScript,
  rng,
  SAMPLE_RATE,
  ScriptedBackend,
  ScriptedVad,
  sleep,
  textOf,
  type Faults,
  type Script,
} from '../../helpers/scripted-backend.js'

interface Run {
  streamer: Streamer
  backend: ScriptedBackend
  finals: FinalEvent[]
  partials: PartialEvent[]
  stats: StatsEvent[]
}

function setup(script: Script, options: Partial<StreamerOptions>, faults: Faults = {}, withVad = false): Run & {vad?: ScriptedVad} {
  const backend = new ScriptedBackend(script, faults)
  const vad = withVad ? new ScriptedVad(script.speech) : undefined
  const streamer = new Streamer(backend, {vad: withVad, ...options}, vad)
  const run = {streamer, backend, finals: [] as FinalEvent[], partials: [] as PartialEvent[], stats: [] as StatsEvent[], vad}
  streamer.on('final', (e) => run.finals.push(e))
  streamer.on('partial', (e) => run.partials.push(e))
  streamer.on('stats', (e) => run.stats.push(e))
  return run
}

/** Pushes the whole script in random chunks, letting the streamer catch up after each (inference keeps up). */
async function feed(run: Run, script: Script, seed: number, maxChunkMs = 700): Promise<void> {
  const random = rng(seed)
  for (let at = 0; at < script.length;) {
    const size = Math.min(script.length - at, 1 + Math.floor((random() * maxChunkMs * SAMPLE_RATE) / 1000))
    run.streamer.push(audioOf(at, at + size))
    at += size
    await run.streamer.drain()
  }
  await run.streamer.flush()
}

function expectWellFormed(run: Run): void {
  run.finals.forEach((f, i) => {
    expect(f.id).toBe(i)
    expect(f.end).toBeGreaterThanOrEqual(f.start)
    if (i > 0) expect(f.start).toBeGreaterThanOrEqual(run.finals[i - 1].end)
  })
}

const finalText = (run: Run): string => run.finals.map((f) => f.text).join(' ')

describe('Streamer without VAD', () => {
  it('commits words agreed twice exactly once, flush emits the tail', async () => {
    const script = makeScript(1, 40)
    const run = setup(script, {stepMs: 1000})
    await feed(run, script, 1)
    expect(finalText(run)).toBe(textOf(script.words))
    expectWellFormed(run)
    expect(run.streamer.discardedSamples).toBe(0)
    // Partials: only when changed, and the last one cleared.
    for (let i = 1; i < run.partials.length; i++) expect(run.partials[i]).not.toEqual(run.partials[i - 1])
    expect(run.partials.at(-1)?.text).toBe('')
  })

  it('holds the final tail until flush', async () => {
    const script = makeScript(2, 20)
    const run = setup(script, {stepMs: 1000})
    run.streamer.push(audioOf(0, script.length))
    await run.streamer.drain()
    const before = finalText(run)
    expect(textOf(script.words).startsWith(before)).toBe(true)
    expect(before.length).toBeLessThan(textOf(script.words).length)
    await run.streamer.flush()
    expect(finalText(run)).toBe(textOf(script.words))
  })

  it('works with 200 ms steps and builds a bounded prompt from committed tokens', async () => {
    const script = makeScript(3, 60)
    const run = setup(script, {stepMs: 200, maxPromptTokens: 16})
    await feed(run, script, 3, 250)
    expect(finalText(run)).toBe(textOf(script.words))
    expect(run.backend.calls.length).toBeGreaterThan(200)
    const prompts = run.backend.calls.map((c) => c.prompt)
    expect(Math.max(...prompts.map((p) => p.length))).toBe(16)
    // The prompt is the tail of committed tokens, in order.
    for (const p of prompts) for (let i = 1; i < p.length; i++) expect(p[i]).toBe(p[i - 1] + 1)
  })

  it('tells the backend when a window only grew (same start, same prompt), so it may reuse its last output', async () => {
    for (const withVad of [false, true]) {
      const script = makeScript(11, 90)
      const run = setup(script, {stepMs: 500, maxPromptTokens: 32}, {}, withVad)
      await feed(run, script, 11)
      const calls = run.backend.calls
      expect(calls.some((c) => c.continues)).toBe(true)
      expect(calls[0]!.continues).toBe(false)
      for (let i = 1; i < calls.length; i++) {
        const [before, now] = [calls[i - 1]!, calls[i]!]
        const grew = now.start === before.start && now.end >= before.end && now.prompt.join() === before.prompt.join()
        if (now.continues) expect(grew).toBe(true)
        // After a commit the prompt differs; after a trim or a VAD reset the start does.
        if (now.start !== before.start || now.prompt.join() !== before.prompt.join()) expect(now.continues).toBe(false)
      }
    }
  })

  it('never commits the garbage of truncated hypotheses', async () => {
    const script = makeScript(4, 120)
    const run = setup(script, {stepMs: 500}, {loop: 0.3, cap: 0.2, seed: 4, faultsAtRest: true})
    await feed(run, script, 4)
    expect(run.backend.calls.some((c) => c.truncated)).toBe(true)
    expect(finalText(run)).not.toMatch(/\bla\b|q\b/)
    // A truncated closing step may lose its untrusted tail, but what is final is the truth, in order, once.
    const truth = textOf(script.words).split(' ')
    let i = 0
    for (const word of finalText(run).split(' ')) {
      while (i < truth.length && truth[i] !== word) i++
      expect(i).toBeLessThan(truth.length)
      i++
    }
  })

  it('force-commits when the window fills without agreement, losing nothing', async () => {
    // A speaker who never pauses and a backend that never agrees on its last words: the window fills.
    const script = makeScript(5, 120, {pauseMs: [0, 100]})
    const run = setup(script, {stepMs: 1000}, {stall: 1, seed: 5})
    const ring = run.streamer.buffer
    const storage = ring.storage
    await feed(run, script, 5)
    const longest = Math.max(...run.backend.calls.map((c) => c.end - c.start))
    expect(longest).toBeLessThanOrEqual(30 * SAMPLE_RATE)
    expect(longest).toBeGreaterThan(25 * SAMPLE_RATE)
    expectWellFormed(run)
    // Perturbed tails may be force-committed as heard, but every word is there, in order, once.
    const heard = run.finals
      .map((f) => f.text)
      .join(' ')
      .split(' ')
    const truth = textOf(script.words).split(' ')
    expect(heard.length).toBe(truth.length)
    const same = heard.filter((word, i) => word === truth[i]).length
    expect(same / truth.length).toBeGreaterThan(0.9)
    expect(ring.capacity).toBe(30 * SAMPLE_RATE)
    expect(ring.storage).toBe(storage)
  })

  it('coalesces steps when inference is slower than the audio, no queue grows', async () => {
    const script = makeScript(6, 90)
    const run = setup(script, {stepMs: 200})
    // Inference "takes" one second of audio: each call returns only after ten more 100 ms chunks
    // arrived (or the audio ended). Counted in chunks, not milliseconds, so machine load changes nothing.
    const chunk = 1600
    let pushed = 0
    let ended = false
    const waiting: Array<{until: number; release: () => void}> = []
    const releaseDue = (): void => {
      for (const w of waiting.splice(0)) (ended || pushed >= w.until ? w.release : () => waiting.push(w))()
    }
    const transcribe = run.backend.transcribe.bind(run.backend)
    run.backend.transcribe = async (...args) => {
      if (!ended) await new Promise<void>((release) => waiting.push({until: pushed + 10, release}))
      return transcribe(...args)
    }
    let maxBacklog = 0
    for (let at = 0; at < script.length; at += chunk) {
      run.streamer.push(audioOf(at, Math.min(script.length, at + chunk)))
      pushed++
      releaseDue()
      maxBacklog = Math.max(maxBacklog, run.streamer.backlogSamples)
      await new Promise((resolve) => setImmediate(resolve))
    }
    ended = true
    releaseDue()
    await run.streamer.flush()
    const steps = script.length / (0.2 * SAMPLE_RATE)
    expect(run.backend.calls.length).toBeLessThan(steps / 3)
    expect(run.backend.maxInFlight).toBe(1)
    expect(maxBacklog).toBe(0)
    expect(finalText(run)).toBe(textOf(script.words))
  })

  it('stops on abort: flush rejects, the running inference sees the signal', async () => {
    const script = makeScript(7, 30)
    const controller = new AbortController()
    const run = setup(script, {signal: controller.signal}, {delayMs: 50})
    run.streamer.push(audioOf(0, 5 * SAMPLE_RATE))
    await sleep(10)
    controller.abort()
    await expect(run.streamer.flush()).rejects.toMatchObject({code: 'aborted'})
    expect(() => run.streamer.push(audioOf(5 * SAMPLE_RATE, 6 * SAMPLE_RATE))).toThrow(/after flush/)
  }, 10_000)

  it('reports a failing backend through flush and the error event', async () => {
    const backend = {sampleRate: SAMPLE_RATE, maxSamples: 480_000, transcribe: async () => Promise.reject(new Error('boom'))}
    const streamer = new Streamer(backend, {vad: false})
    const errors: unknown[] = []
    streamer.on('error', (e) => errors.push(e))
    streamer.push(audioOf(0, 2 * SAMPLE_RATE))
    await expect(streamer.flush()).rejects.toMatchObject({code: 'internal'})
    expect(errors).toHaveLength(1)
  })

  it('rejects commitNow once the backend failed', async () => {
    const backend = {sampleRate: SAMPLE_RATE, maxSamples: 480_000, transcribe: async () => Promise.reject(new Error('boom'))}
    const streamer = new Streamer(backend, {vad: false})
    streamer.on('error', () => {})
    streamer.push(audioOf(0, 2 * SAMPLE_RATE))
    await expect(streamer.commitNow()).rejects.toMatchObject({code: 'internal'})
    expect(streamer.failed?.code).toBe('internal')
  })

  it('rejects bad options as usage errors', () => {
    const backend = new ScriptedBackend({words: [], segmentEnds: []})
    expect(() => new Streamer(backend, {stepMs: 0})).toThrow(/stepMs/)
    expect(() => new Streamer(backend, {vadThreshold: 2})).toThrow(/vadThreshold/)
  })
})

describe('Streamer with VAD', () => {
  it('calls the backend only on speech and finalizes one utterance per pause', async () => {
    const script = makeScript(8, 120)
    const run = setup(script, {stepMs: 1000, noPartials: true}, {}, true)
    const utteranceEnds: number[] = []
    await feed(run, script, 8)
    expect(finalText(run)).toBe(textOf(script.words))
    expect(run.partials).toHaveLength(0)
    for (const call of run.backend.calls) {
      expect(script.speech.some(([s, e]) => call.start < e && call.end > s)).toBe(true)
    }
    // Every utterance's last word is final before the next utterance starts: the window was reset.
    for (const [, end] of script.speech) utteranceEnds.push(end)
    for (const end of utteranceEnds) expect(run.finals.some((f) => Math.abs(f.end - end / SAMPLE_RATE) < 0.002)).toBe(true)
    expectWellFormed(run)
  })

  it('no backend call on silence', async () => {
    const run = setup({words: [], segmentEnds: [], speech: [], length: 60 * SAMPLE_RATE}, {}, {}, true)
    await feed(run, {words: [], segmentEnds: [], speech: [], length: 60 * SAMPLE_RATE}, 9)
    expect(run.backend.calls).toHaveLength(0)
    expect(run.finals).toHaveLength(0)
    expect(run.streamer.buffer.length).toBeLessThan(SAMPLE_RATE)
  })
})

describe('Streamer over long scripted streams', () => {
  const cases: Array<[string, Partial<StreamerOptions>, Faults, boolean]> = [
    ['1 s steps', {stepMs: 1000}, {perturb: 0.3, drop: 0.2}, false],
    ['200 ms steps', {stepMs: 200}, {perturb: 0.2, drop: 0.2, loop: 0.05}, false],
    ['VAD', {stepMs: 1000}, {perturb: 0.3, drop: 0.2, cap: 0.1}, true],
    ['VAD, 500 ms steps', {stepMs: 500, maxPromptTokens: 32}, {perturb: 0.2, loop: 0.1}, true],
    ['short window', {stepMs: 1000, maxWindowSeconds: 12}, {drop: 0.3, cap: 0.1}, false],
  ]
  cases.forEach(([name, options, faults, vad], i) => {
    it(`20 minutes, ${name}: the finals are the ground truth, nothing lost, nothing doubled`, async () => {
      const script = makeScript(100 + i, 20 * 60)
      const run = setup(script, options, {...faults, seed: 200 + i}, vad)
      const storage = run.streamer.buffer.storage
      await feed(run, script, 300 + i, 1500)
      expect(finalText(run)).toBe(textOf(script.words))
      expectWellFormed(run)
      expect(run.streamer.discardedSamples).toBe(0)
      expect(run.streamer.buffer.storage).toBe(storage)
      expect(run.streamer.buffer.capacity).toBe(30 * SAMPLE_RATE)
      // Absolute time kept counting across slides and resets.
      expect(run.finals.at(-1)!.end).toBeCloseTo(script.words.at(-1)!.end / SAMPLE_RATE, 2)
    }, 60_000)
  })
})

describe('Streamer.commitNow', () => {
  /** A cut in the middle of a pause near the middle of the script, so that no word straddles it. */
  const cutOf = (script: Script): number => {
    const i = Math.floor(script.speech.length / 2) - 1
    return Math.round((script.speech[i][1] + script.speech[i + 1][0]) / 2)
  }

  for (const withVad of [false, true]) {
    it(`commits what was heard and goes on streaming: ids and times continue${withVad ? ' (VAD)' : ''}`, async () => {
      const script = makeScript(withVad ? 12 : 11, 60)
      const cut = cutOf(script)
      const run = setup(script, {stepMs: 1000}, {}, withVad)
      const random = rng(5)
      const pushRange = async (from: number, to: number): Promise<void> => {
        for (let at = from; at < to;) {
          const size = Math.min(to - at, 1 + Math.floor(random() * 0.7 * SAMPLE_RATE))
          run.streamer.push(audioOf(at, at + size))
          at += size
          await run.streamer.drain()
        }
      }
      await pushRange(0, cut)
      await run.streamer.commitNow()
      // Everything heard before the cut is final now, nothing after it.
      expect(finalText(run)).toBe(textOf(script.words.filter((w) => w.end <= cut)))
      const committed = run.finals.length
      await pushRange(cut, script.length)
      await run.streamer.flush()
      expect(finalText(run)).toBe(textOf(script.words))
      expect(run.finals.length).toBeGreaterThan(committed)
      expect(run.finals[committed].start).toBeGreaterThanOrEqual(cut / SAMPLE_RATE)
      expectWellFormed(run)
    })
  }

  it('with nothing new heard it emits nothing', async () => {
    const script = makeScript(13, 20)
    const run = setup(script, {stepMs: 1000})
    await run.streamer.commitNow()
    expect(run.finals).toHaveLength(0)
    await run.streamer.commitNow()
    run.streamer.push(audioOf(0, script.length))
    await run.streamer.flush()
    expect(finalText(run)).toBe(textOf(script.words))
  })
})
