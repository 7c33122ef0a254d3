import {Flags} from '@oclif/core'
import {whisperTemperatures, whisperThresholds} from '../engine/decode/fallback.js'
import type {DecodingOptions} from '../engine/decode/window-transcriber.js'
import {WhisperStreamError} from '../engine/errors.js'

const threshold = (value: number | undefined): string => (value === undefined ? 'none' : String(value))

/** Whisper's quality machinery: temperature fallback and the no-speech gate. */
export const decodeFlags = {
  temperature: Flags.string({
    summary: 'Temperatures tried in turn until a decode passes the thresholds (0 alone: greedy, no fallback).',
    default: whisperTemperatures.join(','),
  }),
  'compression-ratio-threshold': Flags.string({
    summary: 'Decode again, hotter, when the text compresses better than this (repetition); "none" turns the check off.',
    default: threshold(whisperThresholds.compressionRatio),
  }),
  'logprob-threshold': Flags.string({
    summary: 'Decode again, hotter, when the average log-probability is below this; "none" turns the check off.',
    default: threshold(whisperThresholds.logprob),
  }),
  'no-speech-threshold': Flags.string({
    summary:
      'A window whose <|nospeech|> probability is above this (with a low log-probability) yields no words; "none" turns the gate off.',
    default: threshold(whisperThresholds.noSpeech),
  }),
  seed: Flags.integer({summary: 'Seed of the sampling at temperatures above 0 (equal seeds, equal output).', default: 0, min: 0}),
  'beam-size': Flags.integer({
    summary: "Beams of the temperature-0 decode (default: 5 for files as openai-whisper's CLI, 1 on the live path; 1 is greedy).",
    min: 1,
    max: 16,
  }),
  patience: Flags.string({summary: 'Beam search patience: search until beam size × patience sequences finished.', default: '1'}),
  'word-timestamps': Flags.boolean({
    summary:
      'Finals carry words with times: from cross-attention by DTW on models with the _timestamped outputs, else a share of the segment (the event says which).',
  }),
  'length-penalty': Flags.string({
    summary: 'Rank finished beams by ((5 + length) / 6)^α with this α (0..1); default: log-probability over length.',
  }),
}

export interface DecodeFlagValues {
  temperature: string
  'compression-ratio-threshold': string
  'logprob-threshold': string
  'no-speech-threshold': string
  seed: number
  'beam-size'?: number | undefined
  patience: string
  'length-penalty'?: string | undefined
  'word-timestamps': boolean
}

const usage = (message: string, hint: string): WhisperStreamError => new WhisperStreamError('usage', message, {hint})

function number(flag: string, text: string): number {
  const value = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(value)) throw usage(`--${flag} ${text} is not a number`, `give a number, e.g. --${flag} 0.5`)
  return value
}

function optionalNumber(flag: string, text: string): number | undefined {
  return /^(none|off)$/i.test(text.trim()) ? undefined : number(flag, text)
}

/** "0,0.2,0.4" → [0, 0.2, 0.4]; each at least 0, in the order given. */
export function parseTemperatures(text: string): number[] {
  const values = text.split(',').map((part) => number('temperature', part))
  if (values.some((value) => value < 0))
    throw usage(`--temperature ${text}: temperatures cannot be negative`, 'e.g. --temperature 0 or --temperature 0,0.2,0.4,0.6,0.8,1')
  return values
}

/** `live`: the sliding-window path (streams, mic), where beams default to 1. */
export function decodeOptions(flags: DecodeFlagValues, live: boolean): Partial<DecodingOptions> {
  const noSpeech = optionalNumber('no-speech-threshold', flags['no-speech-threshold'])
  if (noSpeech !== undefined && (noSpeech < 0 || noSpeech > 1))
    throw usage(`--no-speech-threshold ${noSpeech} is not a probability`, 'use a number from 0 to 1, or none')
  return {
    temperatures: parseTemperatures(flags.temperature),
    thresholds: {
      compressionRatio: optionalNumber('compression-ratio-threshold', flags['compression-ratio-threshold']),
      logprob: optionalNumber('logprob-threshold', flags['logprob-threshold']),
      noSpeech,
    },
    seed: flags.seed,
    beamSize: flags['beam-size'] ?? (live ? 1 : 5),
    patience: number('patience', flags.patience),
    lengthPenalty: flags['length-penalty'] === undefined ? undefined : number('length-penalty', flags['length-penalty']),
    wordTimestamps: flags['word-timestamps'],
  }
}
