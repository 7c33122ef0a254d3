import {describe, expect, it} from 'vitest'
import {speechChunks, type SpeechChunk, type SpeechChunkOptions} from '../../../src/engine/decode/speech-chunks.js'
import {WhisperStreamError} from '../../../src/engine/errors.js'
import {audioOf, SAMPLE_RATE, ScriptedVad} from '../../helpers/scripted-backend.js'

const s = (seconds: number): number => Math.round(seconds * SAMPLE_RATE)
const FRAME = 512

async function* pieces(total: number, size: number): AsyncGenerator<Float32Array> {
  for (let at = 0; at < total; at += size) yield audioOf(at, Math.min(total, at + size))
}

async function chunksOf(
  speech: Array<[number, number]>,
  seconds: number,
  options: Partial<SpeechChunkOptions> = {},
  pieceSize = 4000,
): Promise<Array<{start: number; end: number}>> {
  const out: SpeechChunk[] = []
  for await (const chunk of speechChunks(pieces(s(seconds), pieceSize), new ScriptedVad(speech), SAMPLE_RATE, options)) out.push(chunk)
  // Each chunk holds exactly the source's samples from its start.
  for (const chunk of out) expect(sameSamples(chunk.audio, audioOf(chunk.start, chunk.start + chunk.audio.length))).toBe(true)
  return out.map((c) => ({start: c.start / SAMPLE_RATE, end: (c.start + c.audio.length) / SAMPLE_RATE}))
}

const sameSamples = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])
/** Within one VAD frame (plus the pad's rounding) of the expected second. */
const near = (actual: number, expected: number): void => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(FRAME / SAMPLE_RATE + 1e-9)

describe('speechChunks', () => {
  it.each([
    {
      what: 'merges stretches of speech into one chunk while it fits a window, padded, and skips the silence after',
      speech: [
        [1, 3],
        [10, 12],
        [50, 52],
      ],
      seconds: 60,
      expected: [
        [0.8, 12.2],
        [49.8, 52.2],
      ],
    },
    {
      what: 'ends a full chunk at the last pause when speech goes on, and starts the next at the speech after it',
      speech: [
        [1, 20],
        [25, 40],
      ],
      seconds: 45,
      expected: [
        [0.8, 20.2],
        [24.8, 40.2],
      ],
    },
  ])('$what', async ({speech, seconds, expected}) => {
    const chunks = await chunksOf(
      speech.map(([from, to]) => [s(from!), s(to!)]),
      seconds,
    )
    expect(chunks).toHaveLength(expected.length)
    chunks.forEach((chunk, i) => {
      near(chunk.start, expected[i]![0]!)
      near(chunk.end, expected[i]![1]!)
    })
  })

  it('yields nothing for silence, having judged every whole frame', async () => {
    const vad = new ScriptedVad([])
    const out: SpeechChunk[] = []
    for await (const chunk of speechChunks(pieces(s(40), 3000), vad, SAMPLE_RATE)) out.push(chunk)
    expect(out).toEqual([])
    expect(vad.frames).toBe(Math.floor(s(40) / FRAME))
  })

  it('cuts speech longer than a chunk at its quietest frame: a pause too short to end the stretch', async () => {
    const chunks = await chunksOf(
      [
        [s(0.5), s(20)],
        [s(20.3), s(45)],
      ],
      50,
    )
    expect(chunks.length).toBe(2)
    expect(chunks[0].end).toBeGreaterThan(20)
    expect(chunks[0].end).toBeLessThan(20.3)
    // Contiguous: nothing between the two is lost.
    expect(chunks[1].start).toBe(chunks[0].end)
    near(chunks[1].end, 45.2)
  })

  it('cuts unbroken speech into contiguous chunks no longer than the window', async () => {
    const chunks = await chunksOf([[0, s(75)]], 75, {maxChunkSeconds: 30})
    expect(chunks[0].start).toBe(0)
    expect(chunks.at(-1)?.end).toBe(75)
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.end - chunk.start).toBeLessThanOrEqual(30)
      if (i > 0) expect(chunk.start).toBe(chunks[i - 1].end)
    }
    // Equal probabilities: the latest frame is the cut, so chunks are nearly full.
    expect(chunks.length).toBe(3)
  })

  it('does not depend on how the source is split into pieces', async () => {
    const speech: Array<[number, number]> = [
      [s(2), s(9)],
      [s(9.2), s(31)],
      [s(33), s(70)],
      [s(90), s(91)],
    ]
    const reference = await chunksOf(speech, 95, {}, 16_000)
    for (const size of [333, 511, 513, 100_000]) expect(await chunksOf(speech, 95, {}, size)).toEqual(reference)
  })

  it('ends the last chunk at the end of the source when speech runs to it', async () => {
    const chunks = await chunksOf([[s(5), s(12)]], 12)
    expect(chunks).toHaveLength(1)
    expect(chunks[0].end).toBe(12)
  })

  it('stops reading at a cancel even in a long silence, where no decoding would notice it', async () => {
    const controller = new AbortController()
    const vad = new ScriptedVad([])
    let read = 0
    async function* endless(): AsyncGenerator<Float32Array> {
      for (let at = 0; ; at += 4000) {
        if (at === s(10)) controller.abort()
        read = at
        yield audioOf(at, at + 4000)
      }
    }
    const error = await (async () => {
      for await (const _ of speechChunks(endless(), vad, SAMPLE_RATE, {}, controller.signal)) void _
    })().catch((e: unknown) => e)
    expect((error as WhisperStreamError).code).toBe('aborted')
    expect(read).toBe(s(10))
  })

  it('refuses options that cannot work, as usage errors', async () => {
    const run = async (options: Partial<SpeechChunkOptions>): Promise<unknown> => {
      for await (const _ of speechChunks(pieces(s(1), 1000), new ScriptedVad([]), SAMPLE_RATE, options)) void _
      return undefined
    }
    for (const bad of [{threshold: 1.5}, {negThreshold: 0.9}, {padMs: -1}, {maxChunkSeconds: 0.5}]) {
      const error = await run(bad).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(WhisperStreamError)
      expect((error as WhisperStreamError).code).toBe('usage')
    }
  })
})
