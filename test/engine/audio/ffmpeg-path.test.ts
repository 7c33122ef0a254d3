import {createRequire} from 'node:module'

import {afterEach, describe, expect, it} from 'vitest'

import {openAudio} from '../../../src/engine/audio/open-audio.js'
import {clearFfmpegCache, FFMPEG_ENV, resolveFfmpeg} from '../../../src/engine/audio/ffmpeg-path.js'
import {WhisperStreamError} from '../../../src/engine/errors.js'
import {sine} from '../../helpers/audio-fixtures.js'

const packaged = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as {path: string}).path
const noFfmpegPath = '/nonexistent-dir'

afterEach(() => clearFfmpegCache())

describe('resolveFfmpeg', () => {
  it('uses an explicit path first', async () => {
    expect(await resolveFfmpeg(packaged, {env: {PATH: process.env.PATH, [FFMPEG_ENV]: '/usr/bin/ffmpeg'}})).toBe(packaged)
  })

  it('an explicit path that does not run is an error, not a fallback', async () => {
    const error = await resolveFfmpeg('/no/such/ffmpeg').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WhisperStreamError)
    expect((error as WhisperStreamError).code).toBe('ffmpeg-missing')
    expect((error as WhisperStreamError).line).toMatch(/^ffmpeg from \/no\/such\/ffmpeg does not run/)
    expect((error as WhisperStreamError).details).toEqual({reason: 'ffmpeg-does-not-run', path: '/no/such/ffmpeg'})
  })

  it(`honours ${FFMPEG_ENV}`, async () => {
    expect(await resolveFfmpeg(undefined, {env: {PATH: process.env.PATH, [FFMPEG_ENV]: packaged}})).toBe(packaged)
  })

  it('finds ffmpeg on PATH', async () => {
    expect(await resolveFfmpeg(undefined, {env: {PATH: `${noFfmpegPath}:/usr/bin`}})).toBe('/usr/bin/ffmpeg')
  })

  it('falls back to the packaged binary when PATH has none, and caches the answer', async () => {
    const env = {PATH: noFfmpegPath}
    const first = resolveFfmpeg(undefined, {env})
    expect(resolveFfmpeg(undefined, {env})).toBe(first)
    expect(await first).toBe(packaged)
  })

  it('says how to fix it when there is no ffmpeg at all', async () => {
    const error = (await resolveFfmpeg(undefined, {env: {PATH: noFfmpegPath}, packagedPath: () => undefined}).catch(
      (e: unknown) => e,
    )) as WhisperStreamError
    expect(error.code).toBe('ffmpeg-missing')
    expect(error.line).toMatch(/ffmpeg not found.*\(install ffmpeg.*or set WHISPER_STREAM_FFMPEG\)/)
    expect(error.details).toEqual({reason: 'ffmpeg-not-found', envVar: 'WHISPER_STREAM_FFMPEG'})
  })

  it('decodes with the packaged binary when the real PATH lacks ffmpeg', async () => {
    const wav = await sine(440, 1)
    const saved = process.env.PATH
    process.env.PATH = noFfmpegPath
    try {
      expect(await resolveFfmpeg()).toBe(packaged)
      let samples = 0
      for await (const chunk of openAudio({input: wav})) samples += chunk.length
      expect(samples).toBe(16_000)
    } finally {
      process.env.PATH = saved
    }
  })
})
