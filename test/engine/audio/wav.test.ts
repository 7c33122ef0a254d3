import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {encodeWav, writeWav} from '../../../src/engine/audio/wav.js'
import {readPcm} from '../../helpers/audio-fixtures.js'

const dir = await mkdtemp(join(tmpdir(), 'wav-test-'))
afterAll(() => rm(dir, {recursive: true, force: true}))

const ramp = new Float32Array(1600).map((_, i) => Math.sin((2 * Math.PI * 440 * i) / 16_000) * 0.5)

describe('wav', () => {
  it('writes a canonical 16-bit header', () => {
    const wav = encodeWav(ramp, 16_000)
    expect(wav.length).toBe(44 + ramp.length * 2)
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF')
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8)
    expect(wav.readUInt16LE(20)).toBe(1)
    expect(wav.readUInt32LE(24)).toBe(16_000)
    expect(wav.readUInt32LE(40)).toBe(ramp.length * 2)
  })

  for (const encoding of ['s16', 'f32'] as const) {
    it(`round-trips ${encoding} through ffmpeg`, async () => {
      const path = join(dir, `ramp-${encoding}.wav`)
      await writeWav(path, ramp, 16_000, {encoding})
      expect((await readFile(path)).readUInt16LE(20)).toBe(encoding === 'f32' ? 3 : 1)
      const back = await readPcm(path)
      expect(back.length).toBe(ramp.length)
      const tolerance = encoding === 'f32' ? 1e-7 : 1 / 32_000
      for (let i = 0; i < ramp.length; i++) expect(Math.abs(back[i] - ramp[i])).toBeLessThan(tolerance)
    })
  }
})
