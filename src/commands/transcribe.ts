import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {decodingFlags, loadModelFromFlags, modelFlags} from '../cli/model-flags.js'
import {abortOnSignals, signalExitCode} from '../cli/signals.js'
import {openAudio} from '../engine/audio/decode.js'
import {transcribeLongForm} from '../engine/decode/long-form.js'
import {WindowTranscriber, type Task} from '../engine/decode/window-transcriber.js'
import {WhisperStreamError} from '../engine/errors.js'
import {createFormatter, formats, type Format} from '../output/formats.js'
import {streamSink} from '../output/sink.js'

export default class Transcribe extends BaseCommand {
  static override summary = 'Transcribe an audio or video file, or audio piped on stdin.'
  static override description = `Decodes any input ffmpeg can read to 16 kHz mono and transcribes it.
Segments are written as soon as each is known: JSON lines when stdout is not a terminal, plain text when it is.
Files take Whisper's own long-form path (sequential 30 s windows); --stream takes the live streaming path instead.`

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
    format: Flags.string({char: 'f', summary: 'Output format (default: jsonl when stdout is not a terminal, text when it is).', options: [...formats]}),
    prompt: Flags.string({summary: 'Initial prompt: words or spellings to steer the first window.'}),
    'no-condition': Flags.boolean({summary: 'Do not feed the previous window\'s text as prompt (long-form path).'}),
    'no-timestamps': Flags.boolean({summary: 'Decode without timestamp tokens (each 30 s window becomes one segment).'}),
    ffmpeg: Flags.string({summary: 'Path of the ffmpeg binary (default: $WHISPER_STREAM_FFMPEG, PATH, then the bundled one).'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Transcribe)
    const format: Format = (flags.format as Format | undefined) ?? (process.stdout.isTTY ? 'text' : 'jsonl')
    const signals = abortOnSignals()
    try {
      const model = await loadModelFromFlags(flags, signals.signal)
      const transcriber = new WindowTranscriber(model, {
        language: flags.language,
        task: flags.task as Task,
        timestamps: !flags['no-timestamps'],
      })
      const audio = openAudio({
        input: args.input === '-' ? process.stdin : args.input,
        ffmpegPath: flags.ffmpeg,
        signal: signals.signal,
      })
      const stopOnClosedPipe = (): void => audio.close()
      const sink = streamSink(process.stdout, createFormatter(format, {partials: false}), stopOnClosedPipe)
      const progress = process.stderr.isTTY ? (seconds: number) => process.stderr.write(`\r${seconds.toFixed(1)} s transcribed`) : undefined
      try {
        const events = transcribeLongForm(transcriber, audio, {
          condition: !flags['no-condition'],
          initialPrompt: flags.prompt ? model.tokenizer.encode(` ${flags.prompt.trim()}`) : [],
          withTokens: false,
          signal: signals.signal,
          onProgress: progress,
        })
        for await (const event of events) {
          sink.write(event)
          if (sink.closed) break
        }
      } catch (error) {
        if (!(error instanceof WhisperStreamError && error.code === 'aborted')) throw error
      } finally {
        if (progress) process.stderr.write('\n')
        await sink.end()
        audio.close()
        await audio.done.catch(() => undefined)
      }
      await audio.done.catch((error: unknown) => {
        if (!sink.closed && !signals.signal.aborted) throw error
      })
      const received = signals.received()
      if (received) this.exit(signalExitCode(received))
    } finally {
      signals.dispose()
    }
  }
}

