import {writeFile} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {echartsSource, writeHtml} from '../../bench/report-html.js'
import {runBench, SCENARIOS, type BenchReport, type Scenario} from '../../bench/run.js'
import {stderrProgress} from '../../bench/progress.js'
import {renderReport} from '../../bench/table.js'
import {BaseCommand} from '../cli/base-command.js'
import {WhisperStreamError} from '../engine/errors.js'
import {parseDtypeChoice} from '../engine/store/registry.js'

export default class Bench extends BaseCommand {
  static override summary = 'Measure decoding, streaming latency and memory, and compare with the naive approach and transformers.js.'
  static override description = `Scenarios (all by default):
  coldstart  --version and a 5 s clip through transcribe --format text (greedy), each a fresh process, median of 5;
          one more run's WHISPER_STREAM_DEBUG=timings breakdown
  decode  ms per token, KV-cached vs uncached, at 16/32/64/128/224 tokens; log-mel and encoder per 30 s window
  stream  --minutes of audio through the streamer (1 s steps, 200 ms chunks, VAD off): latency and memory per decile
  naive   a growing buffer re-transcribed every step without a cache, over a fifth of --minutes
  file    long-form transcription of min(10, --minutes) minutes vs @huggingface/transformers (when installed)
  whispercpp  whisper.cpp (@napi-rs/whisper, when installed) on the same weights: 30 s window, ms/token, file RTF,
          a live step as its stream example takes it (last 10 s re-decoded per 1 s step), greedy token agreement
  serve   concurrent WebSocket sessions at real-time pace (1, 2, 4, 6, 8, 12, … until p95 final latency passes 2 s;
          greedy, this run's dtype and threads), through bench/serve-load.ts when present; and one 30 s encoder
          window at batch 1, 2, 4 and 6 (whether batching sessions' encoder passes would pay)
  variants every weight variant (fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, and float-encoder mixes), each in a process
          of its own: load time, RSS, encoder ms per window, decoder ms per token at 32/128, live step compute, greedy
          tokens agreeing with fp32 (on trained-mini too, without --model)
  quality held-out synthetic speech (min(10, max(1, --minutes)) minutes, pauses of 0.5-10 s) through a model that
          knows words (trained-mini, built from models/trained/, unless --model): WER of long-form file transcription and
          of stream finals, final latency at real-time pace in audio-clock terms (p50/p90), words lost or doubled, words
          on 60 s of silence and of noise, partial churn; --vad and --draft (or both) pick the stream runs (--vad on
          also runs the files through the VAD filter); files and streams greedy, with fallback (1 beam) and with 5 beams; --dtype picks the variant when quality runs alone
Without --model a tiny-shaped model with random weights is generated once into .cache/bench-models/ (quality: trained-mini).
Audio is espeak-ng speech with pauses, looped (synthetic tones when espeak-ng is missing).
Progress goes to stderr; the table (or --json) to stdout.`

  static override examples = [
    '<%= config.bin %> bench --minutes 5 --out bench/results/report.html',
    '<%= config.bin %> bench --scenario decode --scenario file --json > results.json',
    '<%= config.bin %> bench --model tiny.en --minutes 60',
  ]

  static override flags = {
    model: Flags.string({char: 'm', summary: 'Model directory, known name or hub id (default: a generated tiny-shaped model).'}),
    scenario: Flags.string({summary: 'Scenario to run (repeatable; default: all).', options: [...SCENARIOS], multiple: true}),
    minutes: Flags.string({
      summary: 'Minutes of audio for the stream scenario (decimals allowed); naive runs a fifth, file min(10, this).',
      default: '60',
    }),
    threads: Flags.integer({
      summary: 'CPU threads for inference, ours and transformers.js alike (0: onnxruntime decides).',
      default: 2,
      min: 0,
    }),
    vad: Flags.string({
      summary:
        'Voice activity detection in the stream scenario: off (every step transcribes), on (the CLI default), or both; quality: on adds file runs with --vad-filter.',
      options: ['off', 'on', 'both'],
      default: 'off',
    }),
    draft: Flags.string({
      summary:
        "Draft decoding in the stream scenario (each step checks the previous step's tokens in one decoder call): on (the default), off, or both.",
      options: ['off', 'on', 'both'],
      default: 'on',
    }),
    'decode-tokens': Flags.string({
      summary: 'Comma-separated token counts the decode scenario measures (smaller is quicker).',
      default: '16,32,64,128,224',
    }),
    dtype: Flags.string({
      summary:
        'Weight variant for decode, stream, naive and file (transformers.js loads the same files): a dtype, or encoder=DTYPE,decoder=DTYPE.',
      default: 'fp32',
    }),
    variants: Flags.string({
      summary: 'Comma-separated dtypes the variants scenario measures (per-part ones with + between parts: encoder=fp32+decoder=q8).',
    }),
    json: Flags.boolean({summary: 'Print the results as one JSON object instead of tables.'}),
    out: Flags.string({summary: 'Write a self-contained HTML report (charts) to this file.'}),
    'json-out': Flags.string({summary: 'Also write the JSON results to this file.'}),
  }

  async run(): Promise<BenchReport> {
    const {flags} = await this.parse(Bench)
    const minutes = Number(flags.minutes)
    if (!Number.isFinite(minutes) || minutes <= 0) {
      throw new WhisperStreamError('usage', `--minutes must be a positive number, got "${flags.minutes}"`, {
        hint: 'e.g. --minutes 5 or --minutes 0.5',
      })
    }
    const decodeTokens = flags['decode-tokens'].split(',').map((part) => Number(part.trim()))
    if (decodeTokens.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new WhisperStreamError('usage', `--decode-tokens must be positive whole numbers, got "${flags['decode-tokens']}"`, {
        hint: 'e.g. --decode-tokens 16,64',
      })
    }
    let variants: string[] | undefined
    try {
      parseDtypeChoice(flags.dtype)
      variants = flags.variants?.split(',').map((v) => v.trim().replaceAll('+', ','))
      for (const v of variants ?? []) parseDtypeChoice(v)
    } catch (error) {
      throw new WhisperStreamError('usage', (error as Error).message, {
        hint: 'e.g. --dtype q8, --dtype encoder=fp32,decoder=q8, --variants fp32,q8,encoder=fp32+decoder=q4',
      })
    }
    // Fail before a long run, not after it.
    if (flags.out) await echartsSource()
    const report = await runBench({
      model: flags.model,
      decode: {lengths: decodeTokens},
      scenarios: (flags.scenario as Scenario[] | undefined) ?? [...SCENARIOS],
      threads: flags.threads,
      minutes,
      streamVad: flags.vad as 'off' | 'on' | 'both',
      streamDraft: flags.draft as 'off' | 'on' | 'both',
      dtype: flags.dtype,
      ...(variants ? {variants: {variants}} : {}),
      progress: stderrProgress(),
    })
    if (flags.out) await writeHtml(flags.out, report)
    if (flags['json-out']) await writeFile(flags['json-out'], JSON.stringify(report, null, 2) + '\n')
    process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderReport(report))
    if (flags.out) process.stderr.write(`bench: HTML report written to ${flags.out}\n`)
    return report
  }
}
