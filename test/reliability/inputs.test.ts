// Inputs sweep (issue 8): odd rates, layouts and sample formats decode to the right length at 16 kHz;
// broken, lying and empty inputs give either a valid transcript or one clear line and a non-zero exit.
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {openAudio} from '../../src/engine/audio/open-audio.js'
import {fixture, readPcm, speech} from '../helpers/audio-fixtures.js'
import {cli, ensureBuilt, expectOneLineError, finalsOf, parseEvents, seededBytes} from '../helpers/cli.js'
import {testModel} from '../helpers/test-models.js'

let model: string
let source: string
let sourceSamples: number
let work: string

beforeAll(async () => {
  await ensureBuilt()
  model = await testModel('mini')
  source = await speech('reliability sweep of odd inputs.')
  sourceSamples = (await readPcm(source)).length
  work = await mkdtemp(path.join(tmpdir(), 'ws-inputs-'))
})
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
})

const ff = (args: string[]) => execa('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', source, ...args])

/** Samples openAudio delivers (16 kHz mono). */
async function decodedSamples(file: string): Promise<number> {
  const audio = openAudio({input: file})
  for await (const _chunk of audio) {
    // count only
  }
  return (await audio.done).samples
}

/** Either a valid transcript (exit 0) or one line on stderr and a non-zero exit. */
function expectTranscriptOrOneLine(result: {exitCode?: number; stdout: unknown; stderr: unknown}): void {
  if (result.exitCode === 0) {
    expect(String(result.stderr)).toBe('')
    parseEvents(String(result.stdout))
  } else {
    expectOneLineError(result, result.exitCode!)
    expect(result.exitCode).not.toBe(1) // bad input is exit 3, never an internal error
  }
}

describe('rates, layouts and sample formats', () => {
  const variants: Array<[string, (out: string) => Promise<unknown>]> = [
    ['8 kHz', (out) => ff(['-ar', '8000', '-c:a', 'pcm_s16le', out])],
    ['44.1 kHz stereo', (out) => ff(['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le', out])],
    ['48 kHz', (out) => ff(['-ar', '48000', '-c:a', 'pcm_s16le', out])],
    ['5.1 at 48 kHz', (out) => ff(['-af', 'pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0', '-ar', '48000', '-c:a', 'pcm_s16le', out])],
    ['float32', (out) => ff(['-c:a', 'pcm_f32le', out])],
    ['24-bit 44.1 kHz', (out) => ff(['-ar', '44100', '-c:a', 'pcm_s24le', out])],
    ['24-bit (sox)', (out) => execa('sox', [source, '-b', '24', out])],
    ['float (sox)', (out) => execa('sox', [source, '-e', 'floating-point', '-b', '32', out])],
  ]
  it.each(variants)('%s: decoded length at 16 kHz matches, and transcribes', async (name, make) => {
    const file = path.join(work, `${name.replace(/\W+/g, '-')}.wav`)
    await make(file)
    // Resampling may add or drop a few samples at the edges: within 2 ms.
    expect(Math.abs((await decodedSamples(file)) - sourceSamples)).toBeLessThanOrEqual(32)
    const result = await cli(['transcribe', file, '--model', model])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    expect(finalsOf(String(result.stdout)).length).toBeGreaterThan(0)
  })
})

describe('broken and lying inputs', () => {
  let wav: Buffer
  let dataAt: number
  beforeAll(async () => {
    wav = await readFile(source)
    dataAt = wav.indexOf('data')
    expect(dataAt).toBeGreaterThan(0)
  })
  const withDataSize = (size: number): Buffer => {
    const copy = Buffer.from(wav)
    copy.writeUInt32LE(size, dataAt + 4)
    return copy
  }

  it('zero-length stdin → 3', async () => {
    expectOneLineError(await cli(['transcribe', '-', '--model', model], {input: ''}), 3, /stdin is empty/)
  })

  it('an empty file → 3', async () => {
    expectOneLineError(await cli(['transcribe', await fixture('empty'), '--model', model]), 3, /empty/)
  })

  it('a wav header with no data → 3', async () => {
    const file = path.join(work, 'header-only.wav')
    await writeFile(file, wav.subarray(0, dataAt + 8))
    expectOneLineError(await cli(['transcribe', file, '--model', model]), 3, /no audio/)
  })

  it('a video with no audio track → 3', async () => {
    expectOneLineError(await cli(['transcribe', await fixture('video-no-audio'), '--model', model]), 3, /no audio stream/)
  })

  it('a truncated mp3 gives what it holds', async () => {
    const result = await cli(['transcribe', await fixture('truncated-mp3', source), '--model', model])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    parseEvents(String(result.stdout))
  })

  it('a wav cut mid-sample gives what it holds', async () => {
    const file = path.join(work, 'truncated.wav')
    await writeFile(file, wav.subarray(0, Math.floor(wav.length / 2) | 1))
    expect(await decodedSamples(file)).toBeLessThan(sourceSamples)
    const result = await cli(['transcribe', file, '--model', model])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    parseEvents(String(result.stdout))
  })

  it('a header that claims 10× the data: all the data, no more', async () => {
    const file = path.join(work, 'lie-big.wav')
    await writeFile(file, withDataSize((wav.length - dataAt - 8) * 10))
    expect(Math.abs((await decodedSamples(file)) - sourceSamples)).toBeLessThanOrEqual(1)
    expectTranscriptOrOneLine(await cli(['transcribe', file, '--model', model]))
  })

  it('a header that claims a tenth of the data: what the header says', async () => {
    const file = path.join(work, 'lie-small.wav')
    await writeFile(file, withDataSize(Math.floor((wav.length - dataAt - 8) / 20) * 2))
    const samples = await decodedSamples(file)
    expect(samples).toBeGreaterThan(0)
    expect(samples).toBeLessThan(sourceSamples)
    expectTranscriptOrOneLine(await cli(['transcribe', file, '--model', model]))
  })

  it('a RIFF size of 0xFFFFFFFF (streamed wav) on stdin', async () => {
    const copy = Buffer.from(wav)
    copy.writeUInt32LE(0xffffffff, 4)
    copy.writeUInt32LE(0xffffffff, dataAt + 4)
    expectTranscriptOrOneLine(await cli(['transcribe', '-', '--model', model], {input: copy}))
  })

  for (const seed of [1, 2, 3, 42, 1234]) {
    it(`random bytes, seed ${seed} (64 KiB), as a file and on stdin`, async () => {
      const bytes = seededBytes(seed, 64 * 1024)
      const file = path.join(work, `random-${seed}.bin`)
      await writeFile(file, bytes)
      expectTranscriptOrOneLine(await cli(['transcribe', file, '--model', model]))
      expectTranscriptOrOneLine(await cli(['transcribe', '-', '--model', model], {input: bytes}))
    })
  }
})

describe('serve flags', () => {
  it('--encoder-batch above --concurrency → 2, before anything loads', async () => {
    expectOneLineError(await cli(['serve', '--model', model, '--encoder-batch', '2']), 2, /--encoder-batch 2 exceeds --concurrency 1/)
  })
})
