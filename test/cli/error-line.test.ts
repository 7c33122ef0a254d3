// The CLI words the engine's errors in flags and commands; these are the lines users saw before the
// engine stopped speaking of flags, kept word for word.
import {describe, expect, it} from 'vitest'
import {cliErrorLine} from '../../src/cli/error-line.js'
import {ExitCode, exitCodeFor} from '../../src/cli/exit-codes.js'
import {WhisperStreamError, type ErrorDetails} from '../../src/engine/errors.js'

const line = (message: string, hint: string | undefined, details: ErrorDetails): string =>
  cliErrorLine(new WhisperStreamError('usage', message, {hint, details}))

describe('cliErrorLine', () => {
  it('names the flags the engine leaves out', () => {
    expect(
      line('tiny.en is an English-only model and cannot take language de', 'x', {
        reason: 'english-only-language',
        model: 'tiny.en',
        language: 'de',
      }),
    ).toBe(
      'tiny.en is an English-only model and cannot take --language de (use a multilingual model (e.g. --model tiny) or drop --language)',
    )
    expect(line('input format lavfi needs a device', 'x', {reason: 'capture-needs-device', inputFormat: 'lavfi'})).toBe(
      '--input-format lavfi needs --device (name the device, filter or file to read, e.g. --device "sine=frequency=440" with lavfi)',
    )
    expect(line('ffmpeg from /x does not run', 'point it at a working ffmpeg binary', {reason: 'ffmpeg-does-not-run', path: '/x'})).toBe(
      'ffmpeg from --ffmpeg /x does not run (point it at a working ffmpeg binary)',
    )
    expect(line('m', 'x', {reason: 'capture-failed', problem: 'no-device'})).toBe(
      'm (is a microphone connected? list devices with --list-devices and pick one with --device)',
    )
    expect(line('m', 'x', {reason: 'capture-failed', problem: 'permission'})).toBe('m (x)')
  })

  it('names the commands that fix it', () => {
    expect(
      line('Model tiny.en (fp16) is not in the cache and offline mode is on', 'x', {reason: 'not-cached', model: 'tiny.en', dtype: 'fp16'}),
    ).toBe(
      'Model tiny.en (fp16) is not in the cache and offline mode is on (run `whisper-stream models pull tiny.en --dtype fp16` while online)',
    )
    expect(line('m', 'x', {reason: 'not-cached', model: 'tiny.en', dtype: undefined})).toBe(
      'm (run `whisper-stream models pull tiny.en` while online)',
    )
    expect(line('Unknown model "tiny.eng"', 'x', {reason: 'unknown-model', suggestion: 'tiny.en'})).toBe(
      'Unknown model "tiny.eng" (did you mean "tiny.en"? See `whisper-stream models list`)',
    )
  })

  it('leaves errors without details as the engine wrote them', () => {
    expect(cliErrorLine(new WhisperStreamError('input-missing', 'no such file: a.wav', {hint: 'check the path'}))).toBe(
      'no such file: a.wav (check the path)',
    )
  })
})

describe('exitCodeFor', () => {
  it('keeps the documented exit codes', () => {
    expect(exitCodeFor('usage')).toBe(ExitCode.usage)
    expect(exitCodeFor('model-corrupt')).toBe(4)
    expect(exitCodeFor('not-found')).toBe(5)
    expect(exitCodeFor('input-undecodable')).toBe(3)
    expect(exitCodeFor('aborted')).toBe(130)
  })
})
