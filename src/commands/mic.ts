import {basename} from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {decodeFlags, decodeOptions} from '../cli/decode-flags.js'
import {pumpMic} from '../cli/mic-pump.js'
import {decodingFlags, loadModelFromFlags, modelFlags} from '../cli/model-flags.js'
import {applyNoColor, chooseOutputMode} from '../cli/output-mode.js'
import {renderDeviceList} from '../cli/device-list.js'
import {abortOnSignals, signalExitCode} from '../cli/signals.js'
import {streamFlags, streamSettings} from '../cli/stream-flags.js'
import {audioDefaults} from '../engine/audio/open-audio.js'
import {listCaptureDevices, openCapture, type Capture} from '../engine/audio/capture.js'
import type {Task} from '../engine/decode/window-transcriber.js'
import {Engine} from '../engine/engine.js'
import {WhisperStreamError} from '../engine/errors.js'
import {createFormatter, formatFromPath} from '../output/formats.js'
import {fileSink, streamSink, type Sink} from '../output/sink.js'
import {renderMic, type MicUi} from '../ui/render-mic.js'

export default class Mic extends BaseCommand {
  static override summary = 'Transcribe the microphone live, in a terminal screen or as JSON lines.'
  static override description = `Captures the default input device through ffmpeg (Linux: PulseAudio, then ALSA; macOS: AVFoundation; Windows: the first DirectShow audio device) and transcribes it on the streaming path.

On a terminal it shows a live screen: committed text scrolls up into the terminal's history, the tentative tail is dimmed below it, and a status line shows the time, input level, voice activity, step latency, real-time factor and model. Keys: q (or Ctrl-C, Esc) stops after flushing the last words and exits 0; p (or space) pauses and resumes, and audio is dropped while paused. NO_COLOR is honoured.

With --json, or when stdout is not a terminal, it writes the same JSON lines as transcribe --stream; Ctrl-C then stops the same way. --out FILE also writes the transcript as it goes (.jsonl, .txt, .srt, .vtt by extension).`

  static override examples = [
    '<%= config.bin %> mic',
    '<%= config.bin %> mic --model base.en --out meeting.srt',
    '<%= config.bin %> mic --json | jq -r "select(.type==\\"final\\").text"',
    '<%= config.bin %> mic --list-devices',
    '<%= config.bin %> mic --device alsa_input.usb-Blue_Yeti-00.analog-stereo',
    '<%= config.bin %> mic --input-format lavfi --device "sine=frequency=440"',
    '<%= config.bin %> mic --input-format wav --device talk.wav',
  ]

  static override flags = {
    ...modelFlags,
    ...decodingFlags,
    ...decodeFlags,
    ...streamFlags,
    device: Flags.string({char: 'd', summary: 'Input device (see --list-devices), or the ffmpeg input for --input-format.'}),
    'input-format': Flags.string({
      summary: 'ffmpeg input format (pulse, alsa, avfoundation, dshow, lavfi, wav, …); files and lavfi are read at real time.',
    }),
    'list-devices': Flags.boolean({summary: 'List the capture devices ffmpeg sees, then exit.'}),
    json: Flags.boolean({summary: 'Write JSON lines (partial and final events) to stdout instead of the screen.'}),
    out: Flags.string({char: 'o', summary: 'Also write the transcript to this file as it goes (.jsonl, .txt, .srt, .vtt).'}),
    ffmpeg: Flags.string({summary: 'Path of the ffmpeg binary (default: $WHISPER_STREAM_FFMPEG, PATH, then the bundled one).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Mic)
    if (flags['list-devices']) {
      process.stdout.write(renderDeviceList(await listCaptureDevices({ffmpegPath: flags.ffmpeg})))
      return
    }
    const outFormat = flags.out === undefined ? undefined : formatFromPath(flags.out)
    if (flags.out !== undefined && (outFormat === undefined || outFormat === 'json')) {
      throw new WhisperStreamError('usage', `--out ${flags.out}: cannot tell the format from the extension`, {
        hint: 'end the name with .jsonl, .txt, .srt or .vtt',
      })
    }
    const mode = chooseOutputMode({json: flags.json, stdoutIsTTY: process.stdout.isTTY})
    const settings = streamSettings(flags)
    const signals = abortOnSignals()
    // A signal stops capture like q does: what was heard is still committed and written.
    let stop = (): void => {}
    signals.signal.addEventListener('abort', () => stop(), {once: true})

    let capture: Capture | undefined
    let ui: MicUi | undefined
    const sinks: Sink[] = []
    try {
      const engine = Engine.from(await loadModelFromFlags(flags))
      const streamer = await engine.openStream({
        ...settings,
        decoding: {language: flags.language, task: flags.task as Task, ...decodeOptions(flags, true)},
        emitWords: flags['word-timestamps'],
        stats: mode === 'tui',
      })
      capture = await openCapture({device: flags.device, inputFormat: flags['input-format'], ffmpegPath: flags.ffmpeg, signal: undefined})
      const opened = capture
      stop = () => opened.close()
      if (signals.received()) stop()

      if (outFormat) sinks.push(fileSink(flags.out!, createFormatter(outFormat, {partials: false})))
      if (mode === 'jsonl') {
        sinks.push(streamSink(process.stdout, createFormatter('jsonl', {partials: !flags['no-partials']}), () => opened.close()))
      } else {
        const color = !applyNoColor()
        ui = renderMic({model: modelLabel(flags.model), keys: Boolean(process.stdin.isTTY), color})
        ui.onQuit(() => opened.close())
      }
      await pumpMic(streamer, opened, sinks, ui, audioDefaults.sampleRate)
      await opened.done.catch(() => undefined)
    } finally {
      capture?.close()
      for (const sink of sinks) await sink.end()
      await ui?.close()
      signals.dispose()
    }
    const received = signals.received()
    // Ctrl-C is how a pipe user stops the mic: a clean stop, so 0; other signals keep their status.
    if (received && received !== 'SIGINT') this.exit(signalExitCode(received))
  }
}

/** "tiny.en", or the last folder of a path. */
const modelLabel = (model: string): string => basename(model.replace(/[\\/]+$/, '')) || model
