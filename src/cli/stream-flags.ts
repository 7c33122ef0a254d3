import {Flags} from '@oclif/core'
import {WhisperStreamError} from '../engine/errors.js'
import type {StreamSettings} from '../engine/engine.js'
import {defaultStreamerOptions, stepMsRange} from '../engine/stream/streamer-options.js'

/** "200ms", "1s", "1.5" (seconds) → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(value.trim())
  if (!match) throw new WhisperStreamError('usage', `"${value}" is not a duration`, {hint: 'write it like 200ms, 1s or 1.5'})
  const amount = Number(match[1])
  return match[2] === 'ms' ? amount : amount * 1000
}

const formatMs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)

export const streamFlags = {
  step: Flags.string({
    summary: `Transcribe the window every this much new audio (${formatMs(stepMsRange.min)} … ${formatMs(stepMsRange.max)}).`,
    default: `${defaultStreamerOptions.stepMs}ms`,
  }),
  'no-partials': Flags.boolean({summary: 'Emit only final (committed) text, no partial events.'}),
  'no-vad': Flags.boolean({summary: 'Do not gate inference on voice activity (Silero VAD).'}),
  'vad-silence-ms': Flags.integer({
    summary: 'Silence that ends an utterance and commits it.',
    default: defaultStreamerOptions.vadSilenceMs,
    min: 50,
  }),
}

export interface StreamFlagValues {
  step: string
  'no-partials': boolean
  'no-vad': boolean
  'vad-silence-ms': number
}

export function streamSettings(flags: StreamFlagValues, signal?: AbortSignal): StreamSettings {
  const stepMs = parseDuration(flags.step)
  if (stepMs < stepMsRange.min || stepMs > stepMsRange.max) {
    throw new WhisperStreamError('usage', `--step ${flags.step} is out of range`, {
      hint: `use ${formatMs(stepMsRange.min)} to ${formatMs(stepMsRange.max)}`,
    })
  }
  return {stepMs, noPartials: flags['no-partials'], vad: !flags['no-vad'], vadSilenceMs: flags['vad-silence-ms'], signal}
}
