import {describe, expect, it} from 'vitest'
import {captureCandidates, openCapture} from '../../../src/engine/audio/capture.js'
import {WhisperStreamError} from '../../../src/engine/errors.js'

describe('captureCandidates', () => {
  it('Linux tries PulseAudio, then ALSA', async () => {
    expect(await captureCandidates({platform: 'linux'})).toEqual([
      {inputFormat: 'pulse', input: 'default'},
      {inputFormat: 'alsa', input: 'default'},
    ])
    expect((await captureCandidates({platform: 'linux', device: 'hw:1'})).map((s) => s.input)).toEqual(['hw:1', 'hw:1'])
  })

  it('macOS reads AVFoundation audio device 0, or the one named', async () => {
    expect(await captureCandidates({platform: 'darwin'})).toEqual([{inputFormat: 'avfoundation', input: ':0'}])
    expect(await captureCandidates({platform: 'darwin', device: 'MacBook Pro Microphone'})).toEqual([
      {inputFormat: 'avfoundation', input: ':MacBook Pro Microphone'},
    ])
  })

  it('Windows takes a named DirectShow device as audio=NAME', async () => {
    expect(await captureCandidates({platform: 'win32', device: 'Microphone (Realtek)'})).toEqual([
      {inputFormat: 'dshow', input: 'audio=Microphone (Realtek)'},
    ])
  })

  it('an input format is used exactly as given, and needs a device', async () => {
    expect(await captureCandidates({inputFormat: 'lavfi', device: 'sine'})).toEqual([{inputFormat: 'lavfi', input: 'sine'}])
    await expect(captureCandidates({inputFormat: 'lavfi'})).rejects.toMatchObject({
      code: 'usage',
      message: 'input format lavfi needs a device',
      details: {reason: 'capture-needs-device', inputFormat: 'lavfi'},
    })
  })
})

describe('openCapture', () => {
  it('reads lavfi paced at real time, as a microphone would deliver it', async () => {
    const capture = await openCapture({inputFormat: 'lavfi', device: 'sine=frequency=440:duration=0.6'})
    expect(capture.realtime).toBe(true)
    const started = performance.now()
    let samples = 0
    for await (const chunk of capture.audio) samples += chunk.length
    expect(samples).toBe(9600)
    expect(performance.now() - started).toBeGreaterThan(400)
  })

  it('a device that cannot be opened gives one line that says what to try', async () => {
    const error = await openCapture({inputFormat: 'alsa', device: 'no-such-card'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WhisperStreamError)
    const line = (error as WhisperStreamError).line
    expect(line).toMatch(/^cannot open the microphone \(alsa 'no-such-card': .+\) \(.*list the capture devices.*\)$/)
    expect(line).not.toContain('\n')
    expect((error as WhisperStreamError).details).toEqual({reason: 'capture-failed', problem: 'no-device'})
  })
})
