import {createReadStream} from 'node:fs'
import {Readable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {openAudio, type AudioInputOptions} from '../../../src/engine/audio/open-audio.js'
import {WhisperStreamError} from '../../../src/engine/errors.js'
import {fixture} from '../../helpers/audio-fixtures.js'

/** Iterates to the end; returns the error thrown (and checks `done` rejects with the same one). */
async function failure(options: AudioInputOptions): Promise<WhisperStreamError> {
  const audio = openAudio(options)
  let thrown: unknown
  try {
    for await (const _ of audio) {
      // drain
    }
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(WhisperStreamError)
  await expect(audio.done).rejects.toBe(thrown)
  const error = thrown as WhisperStreamError
  expect(error.line).not.toMatch(/\n/)
  return error
}

const isGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

describe('openAudio errors', () => {
  it('missing file → input-missing, before ffmpeg runs', async () => {
    const error = await failure({input: '/no/such/dir/talk.mp3'})
    expect(error.code).toBe('input-missing')
    expect(error.line).toBe('no such file: /no/such/dir/talk.mp3 (check the path)')
  })

  it('garbage → input-undecodable with ffmpeg’s reason', async () => {
    const error = await failure({input: await fixture('garbage')})
    expect(error.code).toBe('input-undecodable')
    expect(error.line).toMatch(/^cannot decode .*garbage.*: Invalid data found when processing input/)
  })

  it('empty file → input-undecodable', async () => {
    const error = await failure({input: await fixture('empty')})
    expect(error.code).toBe('input-undecodable')
    expect(error.line).toMatch(/is empty \(0 bytes\)/)
  })

  it('video without audio → input-undecodable: no audio stream', async () => {
    const error = await failure({input: await fixture('video-no-audio')})
    expect(error.code).toBe('input-undecodable')
    expect(error.line).toMatch(/has no audio stream/)
  })

  it('zero-length stdin → input-undecodable: stdin is empty', async () => {
    const error = await failure({input: createReadStream(await fixture('empty'))})
    expect(error.code).toBe('input-undecodable')
    expect(error.line).toMatch(/^stdin is empty/)
  })

  it('garbage on stdin → input-undecodable', async () => {
    const error = await failure({input: Readable.from([Buffer.from('not audio at all\n'.repeat(500))])})
    expect(error.code).toBe('input-undecodable')
    expect(error.message).toMatch(/^cannot decode stdin: /)
  })

  it('a bad device/filter name → input-undecodable', async () => {
    const error = await failure({input: 'no_such_filter=x=1', inputFormat: 'lavfi'})
    expect(error.code).toBe('input-undecodable')
  })

  it('an input format this ffmpeg lacks → input-undecodable, saying so', async () => {
    const error = await failure({input: 'default', inputFormat: 'no_such_format'})
    expect(error.code).toBe('input-undecodable')
    expect(error.message).toMatch(/^cannot open no_such_format input 'default': .*no_such_format/)
    expect(error.details).toEqual({reason: 'ffmpeg-lacks-format'})
  })

  it('a byte stream that fails mid-way → input-missing with its error', async () => {
    const input = new Readable({read() {}})
    input.push(Buffer.alloc(4096))
    // Once ffmpeg is being fed, the source breaks.
    input.once('data', () => setImmediate(() => input.destroy(new Error('connection reset'))))
    const error = await failure({input})
    expect(error.code).toBe('input-missing')
    expect(error.message).toBe('cannot read stdin: connection reset')
  })

  it('ffmpeg killed from outside → ffmpeg-failed', async () => {
    const audio = openAudio({input: 'sine=duration=60', inputFormat: 'lavfi', realtime: true})
    let thrown: unknown
    try {
      let killed = false
      for await (const _ of audio) {
        if (!killed) process.kill(audio.pid!, 'SIGKILL')
        killed = true
      }
    } catch (error) {
      thrown = error
    }
    expect((thrown as WhisperStreamError).code).toBe('ffmpeg-failed')
  })
})

describe('stopping early', () => {
  it('abort mid-stream kills ffmpeg and ends the iteration cleanly', async () => {
    const controller = new AbortController()
    const audio = openAudio({input: 'sine=duration=600', inputFormat: 'lavfi', realtime: true, signal: controller.signal})
    let chunks = 0
    for await (const _ of audio) {
      chunks++
      if (chunks === 2) controller.abort()
    }
    expect(chunks).toBe(2)
    const end = await audio.done
    expect(end).toEqual({reason: 'aborted', samples: 6400})
    expect(isGone(audio.pid!)).toBe(true)
  })

  it('abort while the consumer waits for data also ends the iteration', async () => {
    const controller = new AbortController()
    const audio = openAudio({
      input: 'sine=duration=600',
      inputFormat: 'lavfi',
      realtime: true,
      signal: controller.signal,
      chunkSamples: 16_000 * 5,
    })
    setTimeout(() => controller.abort(), 300)
    let chunks = 0
    for await (const _ of audio) chunks++
    expect(chunks).toBe(0)
    expect((await audio.done).reason).toBe('aborted')
    expect(isGone(audio.pid!)).toBe(true)
  })

  it('an already-aborted signal never starts ffmpeg', async () => {
    const audio = openAudio({input: await fixture('mp3'), signal: AbortSignal.abort()})
    for await (const _ of audio) throw new Error('no chunk expected')
    expect((await audio.done).reason).toBe('aborted')
    expect(audio.pid).toBeUndefined()
  })

  it('breaking out of the loop (consumer stops early) closes ffmpeg without EPIPE trouble', async () => {
    // A fast, long input: ffmpeg is blocked writing to a full pipe when we leave.
    const audio = openAudio({input: 'sine=duration=3600', inputFormat: 'lavfi'})
    for await (const _ of audio) break
    expect((await audio.done).reason).toBe('closed')
    expect(isGone(audio.pid!)).toBe(true)
  })

  it('close() on stdin input detaches the stream', async () => {
    const input = createReadStream(await fixture('mp3'))
    const audio = openAudio({input, chunkSamples: 160})
    for await (const _ of audio) {
      audio.close()
    }
    expect((await audio.done).reason).toBe('closed')
    expect(input.listenerCount('data')).toBe(0)
  })
})
