import {execFile} from 'node:child_process'

import {WhisperStreamError} from '../errors.js'
import {openAudio, type AudioEnd} from './open-audio.js'
import {resolveFfmpeg} from './ffmpeg-path.js'

/** One ffmpeg input: `-f inputFormat -i input`. */
export interface CaptureSource {
  inputFormat: string
  input: string
}

/** ffmpeg input formats that are live devices: read as they come, never paced with -re. */
export const deviceFormats: ReadonlySet<string> = new Set([
  'pulse',
  'alsa',
  'avfoundation',
  'dshow',
  'oss',
  'jack',
  'openal',
  'sndio',
  'android_camera',
])

const LIST_TIMEOUT_MS = 10_000

export interface CaptureOptions {
  /** A device name for the platform's format, or the `-i` argument for `inputFormat`. */
  device?: string
  /** Any ffmpeg input format (lavfi, wav, pulse, …); the platform default when omitted. */
  inputFormat?: string
  ffmpegPath?: string
  signal?: AbortSignal
  platform?: NodeJS.Platform
}

/** An opened capture: the source that worked and its PCM (16 kHz mono float32 chunks, see AudioStream). */
export interface Capture {
  readonly source: CaptureSource
  /** Pacing applied (files and lavfi are read at real time, like a microphone). */
  readonly realtime: boolean
  readonly audio: AsyncIterable<Float32Array>
  readonly done: Promise<AudioEnd>
  close(): void
}

/** Human name of a source, e.g. "pulse:default". */
export const sourceLabel = (source: CaptureSource): string => `${source.inputFormat}:${source.input}`

/**
 * The sources to try, in order, for the platform (Linux: PulseAudio then ALSA; macOS: AVFoundation;
 * Windows: DirectShow with the first audio device ffmpeg lists).
 */
export async function captureCandidates(options: CaptureOptions = {}): Promise<CaptureSource[]> {
  const {device, inputFormat} = options
  if (inputFormat) {
    if (!device)
      throw new WhisperStreamError('usage', `input format ${inputFormat} needs a device`, {
        hint: 'name the device, filter or file to read, e.g. "sine=frequency=440" with lavfi',
        details: {reason: 'capture-needs-device', inputFormat},
      })
    return [{inputFormat, input: device}]
  }
  const platform = options.platform ?? process.platform
  if (platform === 'darwin') return [{inputFormat: 'avfoundation', input: avfoundationInput(device ?? '0')}]
  if (platform === 'win32') {
    const name = device ?? (await listDshowAudio(await resolveFfmpeg(options.ffmpegPath)))[0]
    if (!name) {
      throw new WhisperStreamError('input-missing', 'no microphone found: ffmpeg lists no DirectShow audio device', {
        hint: 'connect a microphone and allow apps to use it (Settings → Privacy → Microphone)',
      })
    }
    return [{inputFormat: 'dshow', input: name.startsWith('audio=') ? name : `audio=${name}`}]
  }
  const name = device ?? 'default'
  return [
    {inputFormat: 'pulse', input: name},
    {inputFormat: 'alsa', input: name},
  ]
}

/** AVFoundation takes "video:audio"; a bare name or index means the audio device. */
const avfoundationInput = (device: string): string => (device.includes(':') ? device : `:${device}`)

/**
 * Opens the first candidate that delivers audio. A candidate that fails before its first chunk
 * (no server, no device) gives way to the next; when all fail, the error says what to try.
 */
export async function openCapture(options: CaptureOptions = {}): Promise<Capture> {
  const candidates = await captureCandidates(options)
  const failures: Array<{source: CaptureSource; error: WhisperStreamError}> = []
  for (const source of candidates) {
    const realtime = !deviceFormats.has(source.inputFormat)
    const stream = openAudio({
      input: source.input,
      inputFormat: source.inputFormat,
      ffmpegPath: options.ffmpegPath,
      realtime,
      signal: options.signal,
    })
    const iterator = stream[Symbol.asyncIterator]()
    let first: IteratorResult<Float32Array>
    try {
      first = await iterator.next()
    } catch (error) {
      if (!(error instanceof WhisperStreamError) || error.code === 'ffmpeg-missing') throw error
      failures.push({source, error})
      continue
    }
    return {source, realtime, audio: resume(first, iterator), done: stream.done, close: () => stream.close()}
  }
  throw captureError(failures, options)
}

async function* resume(first: IteratorResult<Float32Array>, rest: AsyncIterator<Float32Array>): AsyncGenerator<Float32Array> {
  try {
    if (first.done) return
    yield first.value
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value
  } finally {
    await rest.return?.()
  }
}

/** One line: what could not be opened, why, and what to try. */
function captureError(failures: Array<{source: CaptureSource; error: WhisperStreamError}>, options: CaptureOptions): WhisperStreamError {
  const reasons = failures.map(({source, error}) => `${source.inputFormat} '${source.input}': ${reason(error, source)}`).join('; ')
  const all = failures.map(({error}) => error.message).join(' ')
  const what =
    options.inputFormat && !deviceFormats.has(options.inputFormat)
      ? `cannot open ${options.inputFormat} input '${options.device}'`
      : 'cannot open the microphone'
  let hint: string
  let problem: 'busy' | 'permission' | 'device' | 'no-device'
  if (/busy|resource temporarily unavailable/i.test(all)) {
    problem = 'busy'
    hint = 'another program is using the device; close it or pick another device'
  } else if (/permission denied|not permitted|not authori[sz]ed|access denied/i.test(all)) {
    problem = 'permission'
    hint =
      (options.platform ?? process.platform) === 'darwin'
        ? 'allow microphone access for your terminal in System Settings → Privacy & Security → Microphone'
        : 'your user may not have access to audio devices (e.g. add it to the "audio" group)'
  } else if (options.inputFormat && !deviceFormats.has(options.inputFormat)) {
    problem = 'device'
    hint = 'check the device for that input format'
  } else {
    problem = 'no-device'
    hint = 'is a microphone connected? list the capture devices and pick one'
  }
  const detail =
    failures.length === 1 && what.includes(`'${failures[0].source.input}'`)
      ? `: ${reason(failures[0].error, failures[0].source)}`
      : ` (${reasons})`
  return new WhisperStreamError('input-missing', `${what}${detail}`, {
    hint,
    details: {reason: 'capture-failed', problem},
    cause: failures.at(-1)?.error,
  })
}

/** The ffmpeg detail of an open failure, without our own prefix. */
function reason(error: WhisperStreamError, source: CaptureSource): string {
  const prefix = `cannot open ${source.inputFormat} input '${source.input}': `
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
  const detail = message.replace(new RegExp(`^${escape(source.input)}: `), '')
  // pa_simple_new's error when no PulseAudio (or PipeWire-pulse) server runs.
  if (source.inputFormat === 'pulse' && /No such process|Connection refused|Connection terminated/i.test(detail))
    return 'no PulseAudio server'
  return detail
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The capture devices of one ffmpeg input format, or why none were found. */
export interface DeviceGroup {
  format: 'avfoundation' | 'dshow' | 'pulse' | 'alsa'
  /** As ffmpeg names them (avfoundation: "INDEX  NAME"). */
  devices: string[]
  /** ffmpeg's complaint when it listed none. */
  problem?: string
}

/** The platform's capture devices as ffmpeg reports them. */
export async function listCaptureDevices(options: {ffmpegPath?: string; platform?: NodeJS.Platform} = {}): Promise<DeviceGroup[]> {
  const ffmpegPath = await resolveFfmpeg(options.ffmpegPath)
  const platform = options.platform ?? process.platform
  if (platform === 'darwin') {
    const {output} = await runFfmpeg(ffmpegPath, ['-f', 'avfoundation', '-list_devices', 'true', '-i', ''])
    const lines = output.split('\n')
    const from = lines.findIndex((line) => /AVFoundation audio devices/.test(line))
    const devices =
      from < 0
        ? []
        : lines
            .slice(from + 1)
            .map((line) => /\]\s*\[(\d+)\]\s*(.+)$/.exec(line))
            .filter((m) => m !== null)
    return [
      group(
        'avfoundation',
        devices.map((m) => `${m[1]}  ${m[2].trim()}`),
        output,
      ),
    ]
  }
  if (platform === 'win32') return [group('dshow', await listDshowAudio(ffmpegPath), '')]
  const groups: DeviceGroup[] = []
  for (const format of ['pulse', 'alsa'] as const) {
    const {output} = await runFfmpeg(ffmpegPath, ['-sources', format])
    const lines = output
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== '' && !/^Auto-detected sources/.test(line))
    const devices = lines.filter((line) => /^\s*\*?\s*\S/.test(line) && !/Cannot list|error|not supported/i.test(line))
    groups.push(
      group(
        format,
        devices.map((line) => line.trim()),
        lines.join(' '),
      ),
    )
  }
  return groups
}

function group(format: DeviceGroup['format'], devices: string[], diagnostics: string): DeviceGroup {
  if (devices.length > 0) return {format, devices}
  const problem = diagnostics
    .split('\n')
    .map((line) => line.trim())
    .find((line) => /cannot|error|not/i.test(line))
  return problem ? {format, devices, problem} : {format, devices}
}

async function listDshowAudio(ffmpegPath: string): Promise<string[]> {
  const {output} = await runFfmpeg(ffmpegPath, ['-list_devices', 'true', '-f', 'dshow', '-i', 'dummy'])
  const names: string[] = []
  let audioSection = false
  for (const line of output.split('\n')) {
    if (/DirectShow audio devices/.test(line)) audioSection = true
    else if (/DirectShow video devices/.test(line)) audioSection = false
    const match = /"([^"]+)"(?:\s*\((audio|video)\))?/.exec(line)
    if (!match || /Alternative name/.test(line)) continue
    if (match[2] === 'audio' || (match[2] === undefined && audioSection)) names.push(match[1])
  }
  return names
}

/** Runs ffmpeg for a listing (which it prints on stderr and usually ends with an error status). */
function runFfmpeg(ffmpegPath: string, args: string[]): Promise<{output: string}> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', '-nostdin', ...args], {timeout: LIST_TIMEOUT_MS}, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new WhisperStreamError('ffmpeg-missing', `ffmpeg (${ffmpegPath}) could not be started`, {cause: error}))
        return
      }
      resolve({output: `${stdout}\n${stderr}`})
    })
  })
}
