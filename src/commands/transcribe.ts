import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {decodeFlags, decodeOptions} from '../cli/decode-flags.js'
import {decodingFlags, loadModelFromFlags, modelFlags} from '../cli/model-flags.js'
import {abortOnSignals, signalExitCode} from '../cli/signals.js'
import {streamFlags, streamSettings} from '../cli/stream-flags.js'
import {subtitleFlags, subtitleOptions} from '../cli/subtitle-flags.js'
import {checkFile, openAudio, type AudioStream} from '../engine/audio/open-audio.js'
import type {Task} from '../engine/decode/window-transcriber.js'
import {Engine, feedStreamer} from '../engine/engine.js'
import {mark} from '../engine/timings.js'
import {WhisperStreamError} from '../engine/errors.js'
import {createFormatter, formats, type Format} from '../output/formats.js'
import {streamSink, type Sink} from '../output/sink.js'

export default class Transcribe extends BaseCommand {
  static override summary = 'Transcribe an audio or video file, or audio piped on stdin.'
  static override description = `Decodes any input ffmpeg can read to 16 kHz mono and transcribes it.
Segments are written as soon as each is known: JSON lines when stdout is not a terminal, plain text when it is.
Files take Whisper's own long-form path (sequential 30 s windows; with --vad-filter, only the chunks that hold
speech, as faster-whisper's vad_filter); --stream takes the live path instead:
a sliding window with LocalAgreement commits, partial and final events, Silero VAD.`

  static override examples = [
    '<%= config.bin %> transcribe talk.mp3 > talk.jsonl',
    'cat talk.wav | <%= config.bin %> transcribe - --format text',
    '<%= config.bin %> transcribe lecture.mp4 --format srt > lecture.srt',
    'ffmpeg -f pulse -i default -f wav - | <%= config.bin %> transcribe - --stream',
  ]

  static override args = {
    input: Args.string({description: 'Audio or video file, or - for stdin.', required: true}),
  }

  static override flags = {
    ...modelFlags,
    ...decodingFlags,
    ...decodeFlags,
    format: Flags.string({
      char: 'f',
      summary: 'Output format (default: jsonl when stdout is not a terminal, text when it is).',
      options: [...formats],
    }),
    prompt: Flags.string({summary: 'Initial prompt: words or spellings to steer the first window.'}),
    'no-condition': Flags.boolean({summary: "Do not feed the previous window's text as prompt (long-form path)."}),
    'no-timestamps': Flags.boolean({summary: 'Decode without timestamp tokens (each 30 s window becomes one segment).'}),
    ffmpeg: Flags.string({summary: 'Path of the ffmpeg binary (default: $WHISPER_STREAM_FFMPEG, PATH, then the bundled one).'}),
    'vad-filter': Flags.boolean({
      summary: 'Transcribe only the speech Silero VAD finds, in chunks of up to 30 s: silence is skipped, not transcribed.',
    }),
    stream: Flags.boolean({summary: 'Live streaming path: partial and final events as audio arrives.'}),
    realtime: Flags.boolean({summary: 'Read the input at real-time pace, as a live source would deliver it (implies --stream).'}),
    ...streamFlags,
    ...subtitleFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Transcribe)
    const streaming = flags.stream || flags.realtime
    if (streaming && flags['vad-filter'])
      throw new WhisperStreamError('usage', '--vad-filter is for the file path; --stream gates on voice activity itself', {
        hint: 'drop --vad-filter; --no-vad turns the stream gate off',
      })
    const format: Format = (flags.format as Format | undefined) ?? (process.stdout.isTTY ? 'text' : 'jsonl')
    const signals = abortOnSignals()
    let audio: AudioStream | undefined
    let sink: Sink | undefined
    try {
      // The streamer itself is not aborted by a signal: the source stops, and flush() commits what was heard.
      const settings = streaming ? streamSettings(flags) : undefined
      // A typo in the path must not wait for a model download (or an offline timeout) to be reported.
      if (args.input !== '-') await checkFile(args.input)
      const open = (): AudioStream =>
        openAudio({
          input: args.input === '-' ? process.stdin : args.input,
          ffmpegPath: flags.ffmpeg,
          realtime: flags.realtime,
          signal: signals.signal,
        })
      // ffmpeg starts while the model loads: a distribution's ffmpeg takes 0.15-0.3 s to start, a cold
      // start's tenth. --realtime paces from ffmpeg's start, so it waits for the model.
      audio = flags.realtime ? undefined : open()
      const engine = Engine.from(await loadModelFromFlags(flags, signals.signal))
      const decoding = {
        language: flags.language,
        task: flags.task as Task,
        timestamps: !flags['no-timestamps'],
        ...decodeOptions(flags, streaming),
      }
      const source = (audio ??= open())
      const out = firstWriteMarked(
        streamSink(
          process.stdout,
          createFormatter(format, {partials: streaming && !flags['no-partials'], subtitles: subtitleOptions(flags)}),
          () => source.close(),
        ),
      )
      sink = out
      if (settings) {
        const streamer = await engine.openStream({...settings, decoding, stats: false, emitWords: flags['word-timestamps']})
        streamer.on('partial', (event) => out.write(event))
        streamer.on('final', (event) => out.write(event))
        // Interrupted or not, what was heard is committed and written before exit.
        await feedStreamer(streamer, source, {backpressure: !flags.realtime}).catch(async (error: unknown) => {
          if (!signals.signal.aborted) throw error
        })
      } else {
        const progress = process.stderr.isTTY ? (s: number) => process.stderr.write(`\r${s.toFixed(1)} s transcribed`) : undefined
        const events = engine.transcribeFile(source, {
          decoding,
          withWords: flags['word-timestamps'],
          condition: !flags['no-condition'],
          initialPrompt: flags.prompt ? engine.model.tokenizer.encode(` ${flags.prompt.trim()}`) : [],
          signal: signals.signal,
          onProgress: progress,
          vadFilter: flags['vad-filter'],
        })
        try {
          for await (const event of events) {
            out.write(event)
            if (out.closed) break
          }
        } finally {
          if (progress) process.stderr.write('\n')
        }
      }
      const end = await source.done
      if (end.reason === 'eof' && end.samples === 0) {
        // A valid container with no samples (a bare wav header, a zero-length track): bad input, not a silent success.
        const label = args.input === '-' ? 'stdin' : args.input
        throw new WhisperStreamError('input-undecodable', `${label} holds no audio: 0 samples decoded`, {
          hint: 'give a file with some audio in it',
        })
      }
    } catch (error) {
      if (!(error instanceof WhisperStreamError && error.code === 'aborted' && signals.received())) throw error
    } finally {
      await sink?.end()
      audio?.close()
      await audio?.done.catch(() => undefined)
      signals.dispose()
    }
    // ENOSPC and other write failures: one line and a non-zero exit, not a crash.
    if (sink?.error) throw sink.error
    const received = signals.received()
    if (received) this.exit(signalExitCode(received))
  }
}

/** Marks the first event written on the timings timeline (WHISPER_STREAM_DEBUG=timings). */
function firstWriteMarked(sink: Sink): Sink {
  const write = sink.write.bind(sink)
  sink.write = (event) => {
    mark('first output')
    sink.write = write
    write(event)
  }
  return sink
}
